#include "pipeline/interpolate.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "common/py_json.h"
#include "pipeline/yaml_value.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

bool IsNameChar(char c) { return c != '.' && c != '[' && c != ']'; }

std::string PythonStringRepr(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (char c : s) {
    if (c == quote || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += quote;
  return out;
}

// Python's str() of a value; `in_container` uses repr for strings, and
// Python's True/False/None for booleans and null, as str(list) does.
std::string PythonStr(const Json& value, bool in_container) {
  switch (value.type()) {
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      if (in_container)
        return value.get<bool>() ? "True" : "False";
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::string:
      return in_container ? PythonStringRepr(value.get<std::string>()) : value.get<std::string>();
    case Json::value_t::number_float:
      return PyFloatRepr(value.get<double>());
    case Json::value_t::number_integer:
      return std::to_string(value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>());
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += PythonStr(value[i], true);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        if (!first)
          out += ", ";
        first = false;
        out += PythonStringRepr(k) + ": " + PythonStr(v, true);
      }
      return out + "}";
    }
    default:
      return "";
  }
}

void FlattenForFlags(const Json& dict, const std::string& prefix,
                     std::vector<std::pair<std::string, const Json*>>* out) {
  for (const auto& [key, value] : dict.items()) {
    std::string dotted = prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
    if (value.is_object() && !value.empty()) {
      FlattenForFlags(value, dotted, out);
    } else {
      out->emplace_back(dotted, &value);
    }
  }
}

const char* TypeName(const Json& value) { return value.is_object() ? "dict" : "list"; }

Status ValidateValue(const Json& value, std::string_view field) {
  const bool composite = value.is_object() || value.is_array();
  const bool checked = !field.empty() && field.find("foreach") == std::string_view::npos;
  if (composite && checked) {
    if (value.is_object() && field == "cmd")
      return OkStatus();
    return Error(Code::kInvalid, "Cannot interpolate data of type '{}'", TypeName(value));
  }
  return OkStatus();
}

std::string ReplaceEscapes(std::string s) {
  size_t pos = 0;
  while ((pos = s.find("\\${", pos)) != std::string::npos) {
    s.erase(pos, 1);
    pos += 2;
  }
  return s;
}

}  // namespace

std::vector<Interpolation> FindInterpolations(std::string_view s) {
  std::vector<Interpolation> out;
  size_t i = 0;
  while (i + 1 < s.size()) {
    if (s[i] == '$' && s[i + 1] == '{' && (i == 0 || s[i - 1] != '\\')) {
      size_t close = i + 2;
      while (close < s.size() && s[close] != '}' && s[close] != '\n')
        ++close;
      if (close < s.size() && s[close] == '}') {
        out.push_back({i, close + 1, std::string(s.substr(i + 2, close - i - 2))});
        i = close + 1;
        continue;
      }
    }
    ++i;
  }
  return out;
}

bool IsInterpolated(std::string_view s) { return !FindInterpolations(s).empty(); }

Result<std::string> ParseExpression(std::string_view inner) {
  auto word_end = [&inner](size_t from) {
    size_t j = from;
    while (j < inner.size() && IsNameChar(inner[j]))
      ++j;
    return j;
  };
  auto fail = [&inner](size_t at) {
    std::string found = at < inner.size() ? fmt::format("'{}'", inner[at]) : "end of text";
    // Positions count from the start of "${", as DVC reports them.
    return Error(Code::kInvalid, "invalid expression '${{{}}}': expected {}, found {} (at char {})",
                 inner, at == 0 ? "a name" : "end of text", found, at + 2);
  };
  size_t i = word_end(0);
  if (i == 0)
    return fail(0);
  std::string key(inner.substr(0, i));
  while (i < inner.size()) {
    if (inner[i] == '.') {
      size_t end = word_end(i + 1);
      if (end == i + 1)
        break;
      key += "." + std::string(inner.substr(i + 1, end - i - 1));
      i = end;
    } else if (inner[i] == '[') {
      size_t end = word_end(i + 1);
      if (end == i + 1 || end >= inner.size() || inner[end] != ']')
        break;
      key += "." + std::string(inner.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      break;
    }
  }
  if (i != inner.size())
    return fail(i);
  return key;
}

Status CheckExpressions(const Json& value, std::string* failed_pointer) {
  auto check_string = [](const std::string& s) -> Status {
    for (const Interpolation& match : FindInterpolations(s)) {
      RETURN_IF_ERROR(ParseExpression(match.inner).status());
    }
    return OkStatus();
  };
  if (value.is_string())
    return check_string(value.get<std::string>());
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      std::string inner;
      Status status = CheckExpressions(value[i], &inner);
      if (!status.ok()) {
        if (failed_pointer)
          *failed_pointer = JsonPointerChild("", i) + inner;
        return status;
      }
    }
  }
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      std::string inner;
      Status status = check_string(key);
      if (status.ok())
        status = CheckExpressions(child, &inner);
      if (!status.ok()) {
        if (failed_pointer)
          *failed_pointer = JsonPointerChild("", key) + inner;
        return status;
      }
    }
  }
  return OkStatus();
}

std::string ToStr(const Json& value) { return PythonStr(value, false); }

std::string ShellQuote(std::string_view s) {
  if (s.empty())
    return "''";
  bool safe = true;
  for (char c : s) {
    const bool word =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word && std::string_view("@%+=:,./-").find(c) == std::string_view::npos) {
      safe = false;
      break;
    }
  }
  if (safe)
    return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\"'\"'";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<std::string> DictToFlags(const Json& dict, const InterpolateOptions& options) {
  std::vector<std::pair<std::string, const Json*>> flat;
  FlattenForFlags(dict, "", &flat);
  std::string result;
  for (const auto& [key, value_ptr] : flat) {
    const Json& value = *value_ptr;
    if (value.is_boolean()) {
      if (value.get<bool>()) {
        result += fmt::format("--{} ", key);
      } else if (options.bool_flags == InterpolateOptions::BoolFlags::kBooleanOptional) {
        result += fmt::format("--no-{} ", key);
      }
    } else if (value.is_string()) {
      result += fmt::format("--{} {} ", key, ShellQuote(value.get<std::string>()));
    } else if (value.is_array() || value.is_object()) {
      size_t n = 0;
      for (const Json& item : value) {
        std::string text;
        if (item.is_string()) {
          text = ShellQuote(item.get<std::string>());
        } else if (item.is_array() || item.is_object()) {
          return Error(Code::kInvalid, "Cannot interpolate nested iterable in '{}'", key);
        } else {
          text = PythonStr(item, /*in_container=*/true);
        }
        if (options.list_flags == InterpolateOptions::ListFlags::kAppend || n == 0) {
          result += fmt::format("--{} {} ", key, text);
        } else {
          result += text + " ";
        }
        ++n;
      }
    } else {
      result += fmt::format("--{} {} ", key, PythonStr(value, false));
    }
  }
  while (!result.empty() && result.back() == ' ')
    result.pop_back();
  return result;
}

Result<Json> ResolveString(const std::string& s, const Context& context, std::string_view field,
                           const InterpolateOptions& options) {
  const std::vector<Interpolation> matches = FindInterpolations(s);
  if (matches.size() == 1 && matches[0].begin == 0 && matches[0].end == s.size()) {
    ASSIGN_OR_RETURN(std::string key, ParseExpression(matches[0].inner));
    ASSIGN_OR_RETURN(Json value, context.Select(key));
    RETURN_IF_ERROR(ValidateValue(value, field));
    return value;
  }
  std::string buffer;
  size_t index = 0;
  for (const Interpolation& match : matches) {
    ASSIGN_OR_RETURN(std::string key, ParseExpression(match.inner));
    ASSIGN_OR_RETURN(Json value, context.Select(key));
    RETURN_IF_ERROR(ValidateValue(value, field));
    buffer.append(s, index, match.begin - index);
    if (value.is_object()) {
      ASSIGN_OR_RETURN(std::string flags, DictToFlags(value, options));
      buffer += flags;
    } else {
      buffer += ToStr(value);
    }
    index = match.end;
  }
  buffer.append(s, index, std::string::npos);
  return Json(ReplaceEscapes(std::move(buffer)));
}

Result<Json> ResolveValue(const Json& value, const Context& context, std::string_view field,
                          const InterpolateOptions& options, std::string* failed_pointer) {
  if (value.is_string())
    return ResolveString(value.get<std::string>(), context, field, options);
  if (value.is_array()) {
    Json out = Json::array();
    for (size_t i = 0; i < value.size(); ++i) {
      std::string inner;
      Result<Json> item = ResolveValue(value[i], context, field, options, &inner);
      if (!item.ok()) {
        if (failed_pointer)
          *failed_pointer = JsonPointerChild("", i) + inner;
        return item.status();
      }
      out.push_back(std::move(item).value());
    }
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, child] : value.items()) {
      std::string inner;
      Result<Json> resolved_key = ResolveString(key, context, field, options);
      Result<Json> item = resolved_key.ok() ? ResolveValue(child, context, field, options, &inner)
                                            : Result<Json>(resolved_key.status());
      if (!item.ok()) {
        if (failed_pointer)
          *failed_pointer = JsonPointerChild("", key) + inner;
        return item.status();
      }
      const Json& k = resolved_key.value();
      out[k.is_string() ? k.get<std::string>() : ToStr(k)] = std::move(item).value();
    }
    return out;
  }
  return value;
}

}  // namespace conveyor
