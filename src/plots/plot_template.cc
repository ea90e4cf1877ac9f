#include "plots/plot_template.h"

#include <fmt/format.h>

#include "common/nearest.h"

namespace conveyor {

namespace {

constexpr PlotTemplate kAll[] = {
    PlotTemplate::kLinear,        PlotTemplate::kSimple,
    PlotTemplate::kScatter,       PlotTemplate::kSmooth,
    PlotTemplate::kBarHorizontal, PlotTemplate::kBarHorizontalSorted,
    PlotTemplate::kConfusion,     PlotTemplate::kConfusionNormalized,
};

}  // namespace

std::string_view PlotTemplateName(PlotTemplate tmpl) {
  switch (tmpl) {
    case PlotTemplate::kLinear:
      return "linear";
    case PlotTemplate::kSimple:
      return "simple";
    case PlotTemplate::kScatter:
      return "scatter";
    case PlotTemplate::kSmooth:
      return "smooth";
    case PlotTemplate::kBarHorizontal:
      return "bar_horizontal";
    case PlotTemplate::kBarHorizontalSorted:
      return "bar_horizontal_sorted";
    case PlotTemplate::kConfusion:
      return "confusion";
    case PlotTemplate::kConfusionNormalized:
      return "confusion_normalized";
  }
  return "linear";
}

const std::vector<std::string>& PlotTemplateNames() {
  static const std::vector<std::string>* names = [] {
    auto* list = new std::vector<std::string>;
    for (PlotTemplate tmpl : kAll)
      list->emplace_back(PlotTemplateName(tmpl));
    return list;
  }();
  return *names;
}

Result<PlotTemplate> ParsePlotTemplate(std::string_view name) {
  for (PlotTemplate tmpl : kAll) {
    if (PlotTemplateName(tmpl) == name)
      return tmpl;
  }
  return Error(Code::kInvalid, "unknown plot template '{}'{}; known: {}", name,
               DidYouMean(name, PlotTemplateNames()), fmt::join(PlotTemplateNames(), ", "));
}

bool IsConfusion(PlotTemplate tmpl) {
  return tmpl == PlotTemplate::kConfusion || tmpl == PlotTemplate::kConfusionNormalized;
}

bool IsBar(PlotTemplate tmpl) {
  return tmpl == PlotTemplate::kBarHorizontal || tmpl == PlotTemplate::kBarHorizontalSorted;
}

}  // namespace conveyor
