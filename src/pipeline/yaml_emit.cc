#include "pipeline/yaml_emit.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/py_json.h"
#include "pipeline/yaml_scalar.h"
#include "pipeline/yaml_scalar_style.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

// ruamel.yaml's Emitter.best_width default; DVC does not change it.
constexpr int kBestWidth = 80;
// ruamel.yaml's Emitter.MAX_SIMPLE_KEY_LENGTH.
constexpr size_t kMaxSimpleKeyLength = 128;
// Mapping and sequence indent (ruamel defaults, best_map_indent and
// best_sequence_indent).
constexpr int kIndentStep = 2;

// ---- UTF-8 ----------------------------------------------------------------

std::optional<std::u32string> DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t cp = 0;
    size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1F;
      len = 2;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0F;
      len = 3;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07;
      len = 4;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size())
      return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80)
        return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return std::nullopt;
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Contains(std::u32string_view set, char32_t ch) {
  return set.find(ch) != std::u32string_view::npos;
}

// ---- the writer ----------------------------------------------------------------

// Mirrors the column/whitespace/indention bookkeeping of ruamel's Emitter.
class Writer {
 public:
  Status EmitRoot(const Json& doc) {
    if (doc.is_object()) {
      if (doc.empty()) {
        WriteEmptyFlow("{", "}");
      } else {
        RETURN_IF_ERROR(EmitMapping(doc, 0));
      }
    } else if (doc.is_array()) {
      if (doc.empty()) {
        WriteEmptyFlow("[", "]");
      } else {
        RETURN_IF_ERROR(EmitSequence(doc, 0));
      }
    } else {
      return Error(Code::kInvalid, "YAML document root must be a mapping or a sequence");
    }
    WriteIndent(0);  // expect_document_end
    return OkStatus();
  }

  std::string Take() { return std::move(out_); }

 private:
  Status EmitMapping(const Json& map, int indent) {
    for (const auto& [key, value] : map.items()) {
      WriteIndent(indent);
      std::optional<std::u32string> text = DecodeUtf8(key);
      if (!text)
        return Error(Code::kInvalid, "mapping key is not valid UTF-8");
      const ScalarAnalysis a = AnalyzeScalar(*text);
      if (text->size() >= kMaxSimpleKeyLength || a.multiline) {
        return Error(Code::kInvalid,
                     "mapping key '{}' is too long or spans lines; DVC would write it as an "
                     "explicit '? ' key, which is not supported",
                     key.substr(0, 40));
      }
      const bool implicit = ResolvePlainScalar(key) == PlainScalarTag::kStr;
      WriteScalar(*text, ChooseScalarStyle(*text, a, implicit, /*simple_key=*/true),
                  /*split=*/false, indent + kIndentStep);
      WriteIndicator(":", false);
      RETURN_IF_ERROR(EmitValue(value, indent, /*in_sequence=*/false));
    }
    return OkStatus();
  }

  Status EmitSequence(const Json& seq, int indent) {
    for (const Json& item : seq) {
      WriteIndent(indent);
      WriteIndicator("-", true, false, /*indention=*/true);
      RETURN_IF_ERROR(EmitValue(item, indent, /*in_sequence=*/true));
    }
    return OkStatus();
  }

  // `indent` is the parent collection's indent.
  Status EmitValue(const Json& value, int indent, bool in_sequence) {
    if (value.is_object() || value.is_array()) {
      if (value.empty()) {
        if (value.is_object()) {
          WriteEmptyFlow("{", "}");
        } else {
          WriteEmptyFlow("[", "]");
        }
        return OkStatus();
      }
      if (value.is_object())
        return EmitMapping(value, indent + kIndentStep);
      // A sequence under a mapping key is "indentless": its dashes sit at
      // the key's column.
      return EmitSequence(value, in_sequence ? indent + kIndentStep : indent);
    }
    const int scalar_indent = indent + kIndentStep;
    if (in_sequence)
      WriteIndent(scalar_indent);
    if (value.is_null())
      return OkStatus();  // an empty plain scalar
    std::string text;
    bool implicit = true;
    if (value.is_string()) {
      text = value.get_ref<const std::string&>();
      implicit = ResolvePlainScalar(text) == PlainScalarTag::kStr;
    } else if (value.is_boolean()) {
      text = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_float()) {
      text = FormatPythonFloat(value.get<double>());
    } else if (value.is_number_unsigned()) {
      text = std::to_string(value.get<uint64_t>());
    } else if (value.is_number_integer()) {
      text = std::to_string(value.get<int64_t>());
    } else {
      return Error(Code::kInvalid, "cannot write a JSON {} value as YAML", value.type_name());
    }
    std::optional<std::u32string> decoded = DecodeUtf8(text);
    if (!decoded)
      return Error(Code::kInvalid, "string value is not valid UTF-8");
    const ScalarAnalysis a = AnalyzeScalar(*decoded);
    WriteScalar(*decoded, ChooseScalarStyle(*decoded, a, implicit, /*simple_key=*/false),
                /*split=*/true, scalar_indent);
    return OkStatus();
  }

  void WriteScalar(const std::u32string& text, ScalarStyle style, bool split, int indent) {
    switch (style) {
      case ScalarStyle::kPlain:
        WritePlain(text, split, indent);
        break;
      case ScalarStyle::kSingle:
        WriteSingleQuoted(text, split, indent);
        break;
      case ScalarStyle::kDouble:
        WriteDoubleQuoted(text, split, indent);
        break;
    }
  }

  void WriteEmptyFlow(std::string_view open, std::string_view close) {
    WriteIndicator(open, true, /*whitespace=*/true);
    WriteIndicator(close, false);
  }

  void WriteRaw(std::string_view data, int width) {
    out_.append(data);
    column_ += width;
  }

  void WriteText(const std::u32string& text, size_t start, size_t end) {
    if (start >= end)
      return;
    for (size_t i = start; i < end; ++i)
      AppendUtf8(out_, text[i]);
    column_ += static_cast<int>(end - start);
  }

  void WriteIndicator(std::string_view indicator, bool need_whitespace, bool whitespace = false,
                      bool indention = false) {
    if (!whitespace_ && need_whitespace)
      WriteRaw(" ", 1);
    WriteRaw(indicator, static_cast<int>(indicator.size()));
    whitespace_ = whitespace;
    indention_ = indention_ && indention;
  }

  void WriteIndent(int indent) {
    if (!indention_ || column_ > indent || (column_ == indent && !whitespace_)) {
      WriteLineBreak(U'\n');
    }
    if (column_ < indent) {
      whitespace_ = true;
      out_.append(static_cast<size_t>(indent - column_), ' ');
      column_ = indent;
    }
  }

  void WriteLineBreak(char32_t br) {
    AppendUtf8(out_, br);
    whitespace_ = true;
    indention_ = true;
    column_ = 0;
  }

  // emitter.py write_plain. Plain scalars never contain line breaks here
  // (analysis forbids them), so only the space-folding branch is needed.
  void WritePlain(const std::u32string& text, bool split, int indent) {
    if (text.empty())
      return;
    if (!whitespace_)
      WriteRaw(" ", 1);
    whitespace_ = false;
    indention_ = false;
    bool spaces = false;
    size_t start = 0;
    for (size_t end = 0; end <= text.size(); ++end) {
      const bool at_end = end == text.size();
      const char32_t ch = at_end ? 0 : text[end];
      if (spaces) {
        if (at_end || ch != U' ') {
          if (start + 1 == end && column_ > kBestWidth && split) {
            WriteIndent(indent);
            whitespace_ = false;
            indention_ = false;
          } else {
            WriteText(text, start, end);
          }
          start = end;
        }
      } else if (at_end || ch == U' ') {
        WriteText(text, start, end);
        start = end;
      }
      if (!at_end)
        spaces = ch == U' ';
    }
  }

  // emitter.py write_single_quoted.
  void WriteSingleQuoted(const std::u32string& text, bool split, int indent) {
    WriteIndicator("'", true);
    bool spaces = false;
    bool breaks = false;
    size_t start = 0;
    for (size_t end = 0; end <= text.size(); ++end) {
      const bool at_end = end == text.size();
      // cppcheck-suppress containerOutOfBounds ; guarded by at_end
      const char32_t ch = at_end ? 0 : text[end];
      if (spaces) {
        if (at_end || ch != U' ') {
          if (start + 1 == end && column_ > kBestWidth && split && start != 0 &&
              end != text.size()) {
            WriteIndent(indent);
          } else {
            WriteText(text, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (at_end || !IsYamlBreak(ch)) {
          if (text[start] == U'\n')
            WriteLineBreak(U'\n');
          for (size_t i = start; i < end; ++i)
            WriteLineBreak(text[i]);
          WriteIndent(indent);
          start = end;
        }
      } else if (at_end || ch == U' ' || IsYamlBreak(ch) || ch == U'\'') {
        WriteText(text, start, end);
        start = end;
      }
      if (!at_end && ch == U'\'') {
        WriteRaw("''", 2);
        start = end + 1;
      }
      if (!at_end) {
        spaces = ch == U' ';
        breaks = IsYamlBreak(ch);
      }
    }
    WriteIndicator("'", false);
  }

  static std::string Escape(char32_t ch) {
    switch (ch) {
      case 0:
        return "\\0";
      case 0x07:
        return "\\a";
      case 0x08:
        return "\\b";
      case 0x09:
        return "\\t";
      case 0x0A:
        return "\\n";
      case 0x0B:
        return "\\v";
      case 0x0C:
        return "\\f";
      case 0x0D:
        return "\\r";
      case 0x1B:
        return "\\e";
      case U'"':
        return "\\\"";
      case U'\\':
        return "\\\\";
      case 0x85:
        return "\\N";
      case 0x2028:
        return "\\L";
      case 0x2029:
        return "\\P";
      default:
        break;
    }
    if (ch <= 0xFF)
      return fmt::format("\\x{:02X}", static_cast<uint32_t>(ch));
    if (ch <= 0xFFFF)
      return fmt::format("\\u{:04X}", static_cast<uint32_t>(ch));
    return fmt::format("\\U{:08X}", static_cast<uint32_t>(ch));
  }

  // emitter.py write_double_quoted.
  void WriteDoubleQuoted(const std::u32string& text, bool split, int indent) {
    WriteIndicator("\"", true);
    const auto len = static_cast<int64_t>(text.size());
    int64_t start = 0;
    for (int64_t end = 0; end <= len; ++end) {
      const bool at_end = end == len;
      const char32_t ch = at_end ? 0 : text[static_cast<size_t>(end)];
      const bool needs_escape =
          !at_end && (Contains(U"\"\\\x85\u2028\u2029\uFEFF", ch) ||
                      !((ch >= 0x20 && ch <= 0x7E) || (ch >= 0xA0 && ch <= 0xD7FF) ||
                        (ch >= 0xE000 && ch <= 0xFFFD)));
      if (at_end || needs_escape) {
        if (start < end) {
          WriteText(text, static_cast<size_t>(start), static_cast<size_t>(end));
          start = end;
        }
        if (!at_end) {
          const std::string data = Escape(ch);
          WriteRaw(data, static_cast<int>(data.size()));
          start = end + 1;
        }
      }
      if (0 < end && end < len - 1 && (ch == U' ' || start >= end) &&
          column_ + (end - start) > kBestWidth && split) {
        if (start < end) {
          WriteText(text, static_cast<size_t>(start), static_cast<size_t>(end));
          start = end;
        }
        WriteRaw("\\", 1);
        WriteIndent(indent);
        whitespace_ = false;
        indention_ = false;
        if (text[static_cast<size_t>(start)] == U' ')
          WriteRaw("\\", 1);
      }
    }
    WriteIndicator("\"", false);
  }

  std::string out_;
  int column_ = 0;
  bool whitespace_ = true;
  bool indention_ = true;
};

}  // namespace

std::string FormatPythonFloat(double value) {
  // representer.py represent_float: repr(data).lower(), with YAML spellings
  // for the non-finite values.
  if (std::isnan(value))
    return ".nan";
  if (std::isinf(value))
    return value > 0 ? ".inf" : "-.inf";
  return PyFloatRepr(value);
}

Result<std::string> EmitDvcYaml(const nlohmann::ordered_json& doc) {
  Writer writer;
  RETURN_IF_ERROR(writer.EmitRoot(doc));
  return writer.Take();
}

}  // namespace conveyor
