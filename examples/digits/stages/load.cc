// digits-load: cuts the OpenCV digits sheet into labelled samples.
//
// The sheet is a grid of cell x cell images; its rows of cells are split into
// `classes` equal blocks, block k holding digit k (for digits.png: 50 rows of
// 100 cells of 20x20, five rows per digit). Output: a samples file (see
// src/ml/samples.h) with raw pixel values 0..255, in sheet order, then the
// samples of --extra (labelled live inputs the server logged).
#include <string>

#include "ml/gray_image.h"
#include "ml/samples.h"
#include "stage_main.h"

namespace conveyor::digits {
namespace {

struct Options {
  std::string image = "data/digits.png";
  std::string extra;  // more labelled samples, appended (may be empty of samples)
  std::string out = "work/raw.samples";
  int cell = 20;
  int classes = 10;
};

Status Load(const Options& o) {
  if (o.cell <= 0 || o.classes <= 0) {
    return Error(Code::kUsage, "--cell and --classes must be positive");
  }
  ASSIGN_OR_RETURN(ml::GrayImage sheet, ml::ReadGrayImage(o.image));
  if (sheet.rows % o.cell != 0 || sheet.cols % o.cell != 0) {
    return Error(Code::kInvalid, "{}: {}x{} pixels is not a whole number of {}x{} cells", o.image,
                 sheet.cols, sheet.rows, o.cell, o.cell);
  }
  const int grid_rows = sheet.rows / o.cell;
  const int grid_cols = sheet.cols / o.cell;
  if (grid_rows % o.classes != 0) {
    return Error(Code::kInvalid, "{}: {} rows of cells do not split into {} equal class blocks",
                 o.image, grid_rows, o.classes);
  }
  const int rows_per_class = grid_rows / o.classes;
  ml::SampleSet samples;
  samples.rows = o.cell;
  samples.cols = o.cell;
  std::vector<float> cell(static_cast<size_t>(o.cell) * static_cast<size_t>(o.cell));
  for (int gr = 0; gr < grid_rows; ++gr) {
    for (int gc = 0; gc < grid_cols; ++gc) {
      for (int r = 0; r < o.cell; ++r) {
        for (int c = 0; c < o.cell; ++c) {
          cell[static_cast<size_t>(r) * static_cast<size_t>(o.cell) + static_cast<size_t>(c)] =
              sheet.at(gr * o.cell + r, gc * o.cell + c);
        }
      }
      samples.Add(gr / rows_per_class, cell);
    }
  }
  size_t extra = 0;
  if (!o.extra.empty()) {
    ASSIGN_OR_RETURN(ml::SampleSet more, ml::ReadSamples(o.extra));
    if (more.size() > 0 && (more.rows != o.cell || more.cols != o.cell)) {
      return Error(Code::kInvalid, "{}: samples of {}x{}, expected {}x{}", o.extra, more.cols,
                   more.rows, o.cell, o.cell);
    }
    for (size_t i = 0; i < more.size(); ++i) {
      if (more.labels[i] < 0 || more.labels[i] >= o.classes) {
        return Error(Code::kInvalid, "{}: sample {} has label {}, outside 0..{}", o.extra, i + 1,
                     more.labels[i], o.classes - 1);
      }
      samples.Add(more.labels[i], more.sample(i));
    }
    extra = more.size();
  }
  RETURN_IF_ERROR(MakeParentDirs(o.out));
  RETURN_IF_ERROR(ml::WriteSamples(o.out, samples));
  fmt::print("digits-load: {} samples of {}x{} in {} classes ({} from {}) -> {}\n", samples.size(),
             o.cell, o.cell, o.classes, extra, o.extra.empty() ? "no extra file" : o.extra, o.out);
  return OkStatus();
}

}  // namespace
}  // namespace conveyor::digits

int main(int argc, char** argv) {
  conveyor::digits::Options o;
  CLI::App app("Cut a sheet of handwritten digits into labelled 20x20 samples.", "digits-load");
  app.footer("Example:\n  digits-load --image data/digits.png --out work/raw.samples");
  app.add_option("--image", o.image, "the digits sheet (PNG, grayscale)")->capture_default_str();
  app.add_option("--extra", o.extra,
                 "samples file of more labelled samples (raw pixels 0..255, e.g. written by "
                 "'conveyor feedback export'), appended after the sheet's; it may hold none");
  app.add_option("--out", o.out, "samples file to write")->capture_default_str();
  app.add_option("--cell", o.cell, "cell size in pixels")->capture_default_str();
  app.add_option("--classes", o.classes, "number of digit classes (blocks of rows)")
      ->capture_default_str();
  return conveyor::digits::RunStage(app, argc, argv, [&] { return conveyor::digits::Load(o); });
}
