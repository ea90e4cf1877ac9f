#include "pipeline/yaml_value.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "pipeline/yaml_scalar.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_')
      out += c;
  }
  return out;
}

// SafeConstructor.construct_yaml_int for YAML 1.2; nullopt beyond 64 bits.
std::optional<Json> ExactIntValue(std::string_view text) {
  std::string s = WithoutUnderscores(text);
  bool negative = false;
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    i = 1;
  }
  int base = 10;
  if (s.size() > i + 1 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'o' || s[i + 1] == 'x')) {
    base = s[i + 1] == 'b' ? 2 : (s[i + 1] == 'o' ? 8 : 16);
    i += 2;
  }
  if (i >= s.size())
    return Json(std::string(text));
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Json(static_cast<int64_t>(magnitude));
    }
    return Json(magnitude);
  }
  if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
    return Json(static_cast<int64_t>(0 - magnitude));
  }
  return std::nullopt;
}

// Beyond 64 bits Python keeps an exact big integer; this keeps a double.
Json IntValue(std::string_view text) {
  std::optional<Json> exact = ExactIntValue(text);
  if (exact)
    return std::move(*exact);
  return Json(std::strtod(WithoutUnderscores(text).c_str(), nullptr));
}

// SafeConstructor.construct_yaml_float for YAML 1.2.
Json FloatValue(std::string_view text) {
  std::string s = WithoutUnderscores(text);
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double sign = 1.0;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    sign = body[0] == '-' ? -1.0 : 1.0;
    body.remove_prefix(1);
  }
  if (body == ".inf")
    return Json(sign * std::numeric_limits<double>::infinity());
  if (body == ".nan")
    return Json(std::numeric_limits<double>::quiet_NaN());
  return Json(std::strtod(s.c_str(), nullptr));
}

using PositionMap = std::map<std::string, YamlDocument::NodePositions, std::less<>>;
using TextMap = std::map<std::string, std::string, std::less<>>;

// The value of the plain scalar `text`, which resolves to `tag`.
Json TypedValue(std::string_view text, PlainScalarTag tag) {
  switch (tag) {
    case PlainScalarTag::kBool:
      return Json(text[0] == 't' || text[0] == 'T');
    case PlainScalarTag::kFloat:
      return FloatValue(text);
    case PlainScalarTag::kInt:
      return IntValue(text);
    case PlainScalarTag::kNull:
      return Json(nullptr);
    default:
      return Json(std::string(text));
  }
}

class Converter {
 public:
  Converter(const std::string& file, const YamlParseOptions& options, PositionMap* positions,
            TextMap* typed_scalar_text)
      : file_(file),
        options_(options),
        positions_(positions),
        typed_scalar_text_(typed_scalar_text) {}

  Result<Json> Convert(const YAML::Node& node, const std::string& pointer,
                       YamlDocument::Position key_position) {
    YamlDocument::Position here = PositionOf(node, key_position);
    (*positions_)[pointer] = {key_position.line == 0 ? here : key_position, here};
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar: {
        ASSIGN_OR_RETURN(Json value, ConvertScalar(node, here));
        if (!value.is_string())
          (*typed_scalar_text_)[pointer] = node.Scalar();
        return value;
      }
      case YAML::NodeType::Sequence: {
        Json out = Json::array();
        size_t index = 0;
        for (const YAML::Node& child : node) {
          std::string child_pointer = JsonPointerChild(pointer, index++);
          ASSIGN_OR_RETURN(Json value, Convert(child, child_pointer, {}));
          out.push_back(std::move(value));
        }
        return out;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, pointer);
    }
    return Json(nullptr);
  }

 private:
  YamlDocument::Position PositionOf(const YAML::Node& node, YamlDocument::Position fallback) const {
    // yaml-cpp gives null nodes the position of whatever follows them.
    if (node.IsNull() && fallback.line != 0)
      return fallback;
    YAML::Mark mark = node.Mark();
    if (mark.line < 0)
      return fallback;
    return {mark.line + 1, mark.column + 1};
  }

  Status ErrorAt(YamlDocument::Position at, std::string_view message) const {
    return Error(Code::kInvalid, "{}:{}:{}: {}", file_, at.line, at.column, message);
  }

  Result<Json> ConvertScalar(const YAML::Node& node, YamlDocument::Position at) const {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "!")
      return Json(text);  // quoted or block scalar
    const PlainScalarTag resolved = ResolvePlainScalar(text);
    if (tag.empty() || tag == "?")
      return Construct(text, resolved, at);
    if (tag.rfind(kTagPrefix, 0) == 0) {
      std::string_view type = std::string_view(tag).substr(kTagPrefix.size());
      if (type == "str")
        return Json(text);
      const bool fits = (type == "null" && resolved == PlainScalarTag::kNull) ||
                        (type == "bool" && resolved == PlainScalarTag::kBool) ||
                        (type == "int" && resolved == PlainScalarTag::kInt);
      if (fits)
        return Construct(text, resolved, at);
      if (type == "float" &&
          (resolved == PlainScalarTag::kFloat || resolved == PlainScalarTag::kInt))
        return FloatValue(text);
      return ErrorAt(at, fmt::format("cannot read '{}' as !!{}", text, type));
    }
    return ErrorAt(at, fmt::format("could not determine a constructor for the tag '{}'", tag));
  }

  Result<Json> Construct(std::string_view text, PlainScalarTag tag,
                         YamlDocument::Position at) const {
    if (tag == PlainScalarTag::kInt && options_.reject_big_integers) {
      std::optional<Json> exact = ExactIntValue(text);
      if (!exact)
        return ErrorAt(at, fmt::format("integer '{}' is out of range", text));
      return std::move(*exact);
    }
    return TypedValue(text, tag);
  }

  Result<Json> ConvertMap(const YAML::Node& node, const std::string& pointer) {
    Json out = Json::object();
    std::vector<std::pair<YAML::Node, YamlDocument::Position>> merges;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      YamlDocument::Position key_at = PositionOf(key, {});
      if (!key.IsScalar()) {
        if (key.IsNull()) {
          // An empty key: ruamel reads it as None; DVC ignores non-str keys.
          continue;
        }
        return ErrorAt(key_at, "mapping keys must be scalars");
      }
      if (key.Tag() == "?" && key.Scalar() == "<<") {
        merges.emplace_back(entry.second, key_at);
        continue;
      }
      const std::string& name = key.Scalar();
      if (out.contains(name)) {
        return ErrorAt(key_at, fmt::format("found duplicate key \"{}\"", name));
      }
      std::string child_pointer = JsonPointerChild(pointer, name);
      ASSIGN_OR_RETURN(Json value, Convert(entry.second, child_pointer, key_at));
      out[name] = std::move(value);
    }
    for (const auto& [merge, at] : merges) {
      std::vector<YAML::Node> sources;
      if (merge.IsMap()) {
        sources.push_back(merge);
      } else if (merge.IsSequence()) {
        for (const YAML::Node& item : merge)
          sources.push_back(item);
      }
      for (const YAML::Node& source : sources) {
        if (!source.IsMap()) {
          return ErrorAt(at, "expected a mapping or list of mappings for merging");
        }
        ASSIGN_OR_RETURN(Json merged, ConvertMap(source, pointer));
        for (auto& [k, v] : merged.items()) {
          if (!out.contains(k))
            out[k] = v;
        }
      }
      if (sources.empty()) {
        return ErrorAt(at, "expected a mapping or list of mappings for merging");
      }
    }
    return out;
  }

  const std::string& file_;
  const YamlParseOptions& options_;
  PositionMap* positions_;
  TextMap* typed_scalar_text_;
};

void AppendEscaped(std::string* out, std::string_view key) {
  for (char c : key) {
    if (c == '~') {
      *out += "~0";
    } else if (c == '/') {
      *out += "~1";
    } else {
      *out += c;
    }
  }
}

}  // namespace

std::string JsonPointerChild(std::string_view base, std::string_view key) {
  std::string out(base);
  out += '/';
  AppendEscaped(&out, key);
  return out;
}

std::string JsonPointerChild(std::string_view base, size_t index) {
  return fmt::format("{}/{}", base, index);
}

Json ConstructPlainScalar(std::string_view text) {
  return TypedValue(text, ResolvePlainScalar(text));
}

namespace {

// Notes where each of the first two documents of a stream start (their
// first node, or the document marker when they have none).
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    ++documents_;
    if (documents_ <= 2) {
      starts_[documents_ - 1] = mark;
    }
    node_seen_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

  int documents() const { return documents_; }
  const YAML::Mark& start(int document) const { return starts_[document]; }

 private:
  void Node(const YAML::Mark& mark) {
    if (!node_seen_ && documents_ >= 1 && documents_ <= 2) {
      starts_[documents_ - 1] = mark;
    }
    node_seen_ = true;
  }

  int documents_ = 0;
  bool node_seen_ = false;
  YAML::Mark starts_[2];
};

}  // namespace

Result<YamlDocument> YamlDocument::Parse(std::string_view text, std::string display_name,
                                         const YamlParseOptions& options) {
  YamlDocument doc;
  doc.file_ = std::move(display_name);
  // Not YAML::LoadAll: on some malformed streams (a stray ',' before the
  // first key) yaml-cpp 0.7 yields empty documents forever, and LoadAll
  // collects them until memory runs out (found by fuzz/dvc_yaml_fuzz.cc).
  // Only the first document and whether there is a second matter here.
  std::optional<YAML::Node> first;
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentCounter counter;
    if (parser.HandleNextDocument(counter) && parser.HandleNextDocument(counter) &&
        counter.documents() > 1) {
      const YAML::Mark& mark = counter.start(1);
      if (mark.pos <= counter.start(0).pos && mark.pos >= 0 &&
          static_cast<size_t>(mark.pos) < text.size()) {
        // A "second document" where the first began: yaml-cpp could not
        // move past this character.
        return Error(Code::kInvalid, "{}:{}:{}: unexpected {:?}", doc.file_, mark.line + 1,
                     mark.column + 1, text[static_cast<size_t>(mark.pos)]);
      }
      return Error(Code::kInvalid, "{}:{}:{}: expected a single document in the stream", doc.file_,
                   mark.line + 1, mark.column + 1);
    }
    if (counter.documents() > 0) {
      first = YAML::Load(std::string(text));
    }
  } catch (const YAML::Exception& e) {
    return Error(Code::kInvalid, "{}:{}:{}: {}", doc.file_, e.mark.line + 1, e.mark.column + 1,
                 e.msg);
  }
  Json root;
  if (first.has_value()) {
    Converter converter(doc.file_, options, &doc.positions_, &doc.typed_scalar_text_);
    try {
      ASSIGN_OR_RETURN(root, converter.Convert(*first, "", {}));
    } catch (const YAML::Exception& e) {
      return Error(Code::kInvalid, "{}:{}:{}: {}", doc.file_, e.mark.line + 1, e.mark.column + 1,
                   e.msg);
    }
  }
  if (root.is_null()) {
    doc.empty_ = true;
    root = Json::object();
  }
  doc.root_ = std::make_shared<const Json>(std::move(root));
  return doc;
}

Result<YamlDocument> YamlDocument::LoadFile(const std::filesystem::path& path,
                                            std::string display_name,
                                            const YamlParseOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error(Code::kNotFound, "'{}' does not exist", display_name);
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Error(Code::kInvalid, "'{}' is a directory", display_name);
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return Parse(text, std::move(display_name), options);
}

std::optional<std::string> YamlDocument::ScalarText(std::string_view pointer) const {
  auto typed = typed_scalar_text_.find(pointer);
  if (typed != typed_scalar_text_.end())
    return typed->second;
  try {
    const Json::json_pointer at{std::string(pointer)};
    if (root_->contains(at) && root_->at(at).is_string())
      return root_->at(at).get<std::string>();
  } catch (const Json::exception&) {
    // A malformed pointer names no node.
  }
  return std::nullopt;
}

SourceLocation YamlDocument::Where(std::string_view pointer) const {
  return Lookup(pointer, /*key=*/false);
}

SourceLocation YamlDocument::KeyWhere(std::string_view pointer) const {
  return Lookup(pointer, /*key=*/true);
}

SourceLocation YamlDocument::Lookup(std::string_view pointer, bool key) const {
  std::string_view p = pointer;
  while (true) {
    auto it = positions_.find(p);
    if (it != positions_.end()) {
      const Position& at = key ? it->second.key : it->second.value;
      return SourceLocation{file_, at.line, at.column};
    }
    if (p.empty())
      break;
    size_t slash = p.rfind('/');
    p = slash == std::string_view::npos ? std::string_view() : p.substr(0, slash);
  }
  return SourceLocation{file_, 0, 0};
}

}  // namespace conveyor
