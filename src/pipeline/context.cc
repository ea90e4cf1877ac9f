#include "pipeline/context.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/nearest.h"
#include "pipeline/params_file.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

std::string JoinWords(const std::vector<std::string>& words) {
  // dvc.utils.humanize.join: "a, b and c".
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0)
      out += (i + 1 == words.size()) ? " and " : ", ";
    out += words[i];
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\n\r");
  if (begin == std::string_view::npos)
    return "";
  size_t end = s.find_last_not_of(" \t\n\r");
  return std::string(s.substr(begin, end - begin + 1));
}

// Python's int() on a list index: optional sign, digits.
std::optional<long long> ParseIndex(const std::string& s) {
  long long value = 0;
  const char* begin = s.data();
  if (!s.empty() && s[0] == '+')
    ++begin;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || begin == s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

void CollectKeys(const Json& node, const std::string& prefix, std::vector<std::string>* out) {
  if (!node.is_object())
    return;
  for (const auto& [key, value] : node.items()) {
    std::string dotted = prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
    out->push_back(dotted);
    CollectKeys(value, dotted, out);
  }
}

std::string DisplayPath(std::string_view wdir, std::string_view file) {
  std::filesystem::path joined = std::filesystem::path(wdir) / std::filesystem::path(file);
  std::string out = joined.lexically_normal().generic_string();
  while (out.rfind("./", 0) == 0)
    out.erase(0, 2);
  return out;
}

}  // namespace

struct Context::Impl {
  Json data = Json::object();
  // Dotted path of each merged node → the source that defined it.
  std::map<std::string, std::string> sources;
  // Loaded files → the keys loaded (nullopt: the whole file).
  std::map<std::string, std::optional<std::vector<std::string>>> imports;
  std::vector<std::string> reserved;

  std::string SourceOf(std::string path) const {
    while (true) {
      auto it = sources.find(path);
      if (it != sources.end())
        return it->second;
      size_t dot = path.rfind('.');
      if (dot == std::string::npos)
        return "<local>";
      path.resize(dot);
    }
  }

  Status Merge(Json* into, const Json& update, const std::string& prefix,
               const std::string& source) {
    for (const auto& [key, value] : update.items()) {
      std::string path = prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
      auto it = into->find(key);
      if (it != into->end() && it->is_object() && value.is_object()) {
        RETURN_IF_ERROR(Merge(&*it, value, path, source));
        continue;
      }
      if (it != into->end()) {
        return Error(Code::kInvalid, "cannot redefine '{}' from '{}' as it already exists in '{}'",
                     path, source, SourceOf(path));
      }
      (*into)[key] = value;
      sources[path] = source;
    }
    return OkStatus();
  }

  Status MergeChecked(const Json& update, const std::string& source, std::string_view item) {
    std::vector<std::string> clashes;
    for (const std::string& name : reserved) {
      if (update.contains(name))
        clashes.push_back(name);
    }
    if (!clashes.empty()) {
      std::string message = fmt::format("attempted to modify reserved key{} {}",
                                        clashes.size() > 1 ? "s" : "", JoinWords(clashes));
      if (!item.empty())
        message += fmt::format(" in '{}'", item);
      return Status(Code::kInvalid, std::move(message));
    }
    return Merge(&data, update, "", source);
  }
};

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;
Context::Context(const Context& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Context& Context::operator=(const Context& other) {
  if (this != &other)
    impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

Status Context::MergeInline(const Json& data, const std::string& source) {
  if (!data.is_object()) {
    return Error(Code::kInvalid, "expected a dictionary in '{}'", source);
  }
  return impl_->MergeChecked(data, source, "");
}

Status Context::MergeFile(const std::filesystem::path& project_root, std::string_view wdir,
                          std::string_view item) {
  return MergeFile(DiskFileReader(project_root), wdir, item);
}

Status Context::MergeFile(const FileReader& read, std::string_view wdir, std::string_view item) {
  const size_t colon = item.find(':');
  const std::string_view file = item.substr(0, colon);
  std::optional<std::vector<std::string>> keys;
  if (colon != std::string_view::npos) {
    std::vector<std::string> selected;
    std::string_view rest = item.substr(colon + 1);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view key = rest.substr(0, comma);
      if (!key.empty())
        selected.emplace_back(key);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (!selected.empty())
      keys = std::move(selected);
  }
  const std::string path = DisplayPath(wdir, file);

  auto imported = impl_->imports.find(path);
  if (imported != impl_->imports.end()) {
    const auto& loaded = imported->second;
    if (!keys && !loaded)
      return OkStatus();  // a whole file may be named twice
    if (!keys && loaded) {
      return Error(Code::kInvalid, "cannot load '{}' as it's partially loaded already", item);
    }
    if (keys && !loaded) {
      return Error(Code::kInvalid, "cannot partially load '{}' as it's already loaded.", item);
    }
    for (const std::string& key : *keys) {
      if (std::find(loaded->begin(), loaded->end(), key) != loaded->end()) {
        return Error(Code::kInvalid, "cannot load '{}' as it's partially loaded already", item);
      }
    }
  }

  ASSIGN_OR_RETURN(std::optional<std::string> text, read(path));
  if (!text)
    return Error(Code::kNotFound, "'{}' does not exist", path);
  ASSIGN_OR_RETURN(Json tree, ParseParamsText(*text, path));
  if (keys) {
    Json selected = Json::object();
    for (const std::string& key : *keys) {
      auto it = tree.find(key);
      if (it == tree.end()) {
        return Error(Code::kInvalid, "could not find '{}' in '{}'", key, path);
      }
      selected[key] = *it;
    }
    tree = std::move(selected);
  }
  RETURN_IF_ERROR(impl_->MergeChecked(tree, path, item));

  auto [it, inserted] = impl_->imports.emplace(path, keys);
  if (!inserted && keys && it->second) {
    it->second->insert(it->second->end(), keys->begin(), keys->end());
  }
  return OkStatus();
}

Status Context::MergeDefaultParams(const std::filesystem::path& project_root,
                                   std::string_view wdir) {
  return MergeDefaultParams(DiskFileReader(project_root), wdir);
}

Status Context::MergeDefaultParams(const FileReader& read, std::string_view wdir) {
  const std::string path = DisplayPath(wdir, "params.yaml");
  ASSIGN_OR_RETURN(std::optional<std::string> text, read(path));
  if (!text)
    return OkStatus();
  // Hands over the text already read rather than reading the file twice.
  return MergeFile(
      [&text](const std::string&) -> Result<std::optional<std::string>> { return text; }, wdir,
      "params.yaml");
}

void Context::SetReserved(const std::string& name, Json value) {
  impl_->data[name] = std::move(value);
  impl_->sources.erase(name);
  if (std::find(impl_->reserved.begin(), impl_->reserved.end(), name) == impl_->reserved.end()) {
    impl_->reserved.push_back(name);
  }
}

Result<Json> Context::Select(std::string_view dotted_key) const {
  const Json* node = &impl_->data;
  for (const std::string& raw : SplitDottedKey(dotted_key)) {
    const std::string part = Trim(raw);
    const Json* next = nullptr;
    if (node->is_object()) {
      auto it = node->find(part);
      if (it != node->end())
        next = &*it;
    } else if (node->is_array()) {
      std::optional<long long> index = ParseIndex(part);
      const auto size = static_cast<long long>(node->size());
      if (index && *index < 0)
        *index += size;
      if (index && *index >= 0 && *index < size)
        next = &(*node)[static_cast<size_t>(*index)];
    }
    if (next == nullptr) {
      std::vector<std::string> known;
      CollectKeys(impl_->data, "", &known);
      return Error(Code::kNotFound, "Could not find '{}'{}", dotted_key,
                   DidYouMean(dotted_key, known));
    }
    node = next;
  }
  return *node;
}

bool Context::Contains(std::string_view top_level_name) const {
  return impl_->data.contains(top_level_name);
}

const Json& Context::data() const { return impl_->data; }

}  // namespace conveyor
