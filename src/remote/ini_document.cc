#include "remote/ini_document.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "common/redact.h"
#include "common/strings.h"

namespace conveyor {

namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

std::string_view Trim(std::string_view text) { return TrimBlanks(text); }

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Splits a quoted or bare token at the start of `text` into its unquoted
// value and the rest of the line. Errors are messages without position.
Result<std::pair<std::string, std::string_view>> ReadToken(std::string_view text,
                                                           std::string_view stop) {
  for (std::string_view triple : {"'''", "\"\"\""}) {
    if (text.starts_with(triple)) {
      size_t close = text.find(triple, 3);
      if (close == std::string_view::npos)
        return Error(Code::kInvalid, "values spanning several lines are not supported");
      return std::pair{std::string(text.substr(3, close - 3)), text.substr(close + 3)};
    }
  }
  if (!text.empty() && (text.front() == '\'' || text.front() == '"')) {
    size_t close = text.find(text.front(), 1);
    if (close == std::string_view::npos)
      return Error(Code::kInvalid, "unterminated quote");
    return std::pair{std::string(text.substr(1, close - 1)), text.substr(close + 1)};
  }
  size_t end = text.find_first_of(stop);
  if (end == std::string_view::npos)
    end = text.size();
  return std::pair{std::string(Trim(text.substr(0, end))), text.substr(end)};
}

}  // namespace

Result<std::string> IniDocument::QuoteValue(std::string_view value) {
  if (value.empty())
    return std::string("\"\"");
  if (value.find_first_of("\r\n") != std::string_view::npos)
    return Error(Code::kInvalid, "a config value cannot contain a line break");
  bool single = value.find('\'') != std::string_view::npos;
  bool dbl = value.find('"') != std::string_view::npos;
  if (single && dbl) {
    if (value.find("'''") == std::string_view::npos)
      return fmt::format("'''{}'''", value);
    if (value.find("\"\"\"") == std::string_view::npos)
      return fmt::format("\"\"\"{}\"\"\"", value);
    return Error(Code::kInvalid, "a config value cannot contain both ''' and \"\"\"");
  }
  constexpr std::string_view kEdge = " \t\v'\"";
  // configobj quotes values with a comma or a blank or quote at either end;
  // a '#' is quoted too, since configobj would read it back as a comment.
  bool needs_quotes = kEdge.find(value.front()) != std::string_view::npos ||
                      kEdge.find(value.back()) != std::string_view::npos ||
                      value.find_first_of(",#") != std::string_view::npos;
  if (!needs_quotes)
    return std::string(value);
  return dbl ? fmt::format("'{}'", value) : fmt::format("\"{}\"", value);
}

Result<IniDocument> IniDocument::Parse(std::string_view text, std::string_view filename) {
  IniDocument doc;
  std::vector<std::string> seen_sections;
  std::vector<std::string> seen_keys;  // of the current section
  bool in_section = false;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    Line line;
    line.text = std::string(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    auto fail = [&](const Status& status) {
      return Error(Code::kInvalid, "{}:{}: {}", filename, line_number, status.message());
    };
    std::string_view body = Trim(line.text);
    if (body.empty()) {
      line.kind = Kind::kBlank;
    } else if (body.front() == '#') {
      line.kind = Kind::kComment;
    } else if (body.front() == '[') {
      if (body.starts_with("[[")) {
        return fail(
            Status(Code::kInvalid, fmt::format("nested section '{}' is not supported", body)));
      }
      auto token = ReadToken(Trim(body.substr(1)), "]");
      if (!token.ok())
        return fail(token.status());
      std::string_view rest = Trim(token->second);
      std::string_view after = rest.starts_with("]") ? Trim(rest.substr(1)) : rest;
      if (!rest.starts_with("]") || !(after.empty() || after.front() == '#')) {
        return fail(Status(Code::kInvalid, fmt::format("expected '[section]', found '{}'", body)));
      }
      line.kind = Kind::kSection;
      line.name = token->first;
      for (const std::string& name : seen_sections) {
        if (SameName(name, line.name)) {
          return fail(
              Status(Code::kInvalid,
                     fmt::format("section '{}' appears twice; merge the two into one", line.name)));
        }
      }
      seen_sections.push_back(line.name);
      seen_keys.clear();
      in_section = true;
    } else {
      // Messages about key lines name the key, never the value.
      size_t equals = body.find('=');
      if (equals == std::string_view::npos) {
        std::string start = ConfigLineForMessage(body);
        return fail(
            Status(Code::kInvalid, start.empty()
                                       ? std::string("expected 'key = value'")
                                       : fmt::format("expected 'key = value', found '{}'", start)));
      }
      auto key = ReadToken(Trim(body.substr(0, equals)), "");
      if (!key.ok())
        return fail(key.status());
      if (!in_section) {
        return fail(
            Status(Code::kInvalid, fmt::format("key '{}' comes before any [section]", key->first)));
      }
      auto value = ReadToken(Trim(body.substr(equals + 1)), "#");
      if (!value.ok()) {
        return fail(Status(Code::kInvalid, fmt::format("the value of '{}': {}", key->first,
                                                       value.status().message())));
      }
      std::string_view rest = value->second;
      if (!Trim(rest).empty() && Trim(rest).front() != '#') {
        // A bare list ("a, b") keeps its text; anything else after a quoted
        // value is malformed.
        if (Trim(body.substr(equals + 1)).front() == '\'' ||
            Trim(body.substr(equals + 1)).front() == '"') {
          return fail(
              Status(Code::kInvalid,
                     fmt::format("unexpected text after the quoted value of '{}'", key->first)));
        }
      }
      line.kind = Kind::kKey;
      line.name = key->first;
      line.value = value->first;
      if (!Trim(rest).empty()) {
        // Keep the comment with the blanks before it.
        size_t at = static_cast<size_t>(rest.data() - line.text.data());
        while (at > 0 && (line.text[at - 1] == ' ' || line.text[at - 1] == '\t'))
          --at;
        line.comment = line.text.substr(at);
      }
      for (const std::string& name : seen_keys) {
        if (SameName(name, line.name)) {
          return fail(Status(Code::kInvalid, fmt::format("key '{}' appears twice in section '{}'",
                                                         line.name, seen_sections.back())));
        }
      }
      seen_keys.push_back(line.name);
    }
    doc.lines_.push_back(std::move(line));
  }
  return doc;
}

std::string IniDocument::Serialize() const {
  std::string text;
  for (const Line& line : lines_) {
    text += line.text;
    text += '\n';
  }
  return text;
}

size_t IniDocument::FindSection(std::string_view section) const {
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].kind == Kind::kSection && SameName(lines_[i].name, section))
      return i;
  }
  return kNone;
}

size_t IniDocument::SectionEnd(size_t begin) const {
  size_t end = begin + 1;
  while (end < lines_.size() && lines_[end].kind != Kind::kSection)
    ++end;
  return end;
}

size_t IniDocument::FindKey(std::string_view section, std::string_view key) const {
  size_t header = FindSection(section);
  if (header == kNone)
    return kNone;
  for (size_t i = header + 1; i < SectionEnd(header); ++i) {
    if (lines_[i].kind == Kind::kKey && SameName(lines_[i].name, key))
      return i;
  }
  return kNone;
}

std::vector<std::string> IniDocument::Sections() const {
  std::vector<std::string> names;
  for (const Line& line : lines_) {
    if (line.kind == Kind::kSection)
      names.push_back(line.name);
  }
  return names;
}

bool IniDocument::HasSection(std::string_view section) const {
  return FindSection(section) != kNone;
}

int IniDocument::SectionLine(std::string_view section) const {
  size_t index = FindSection(section);
  return index == kNone ? 0 : static_cast<int>(index) + 1;
}

std::optional<std::string> IniDocument::Get(std::string_view section, std::string_view key) const {
  size_t index = FindKey(section, key);
  if (index == kNone)
    return std::nullopt;
  return lines_[index].value;
}

int IniDocument::KeyLine(std::string_view section, std::string_view key) const {
  size_t index = FindKey(section, key);
  return index == kNone ? 0 : static_cast<int>(index) + 1;
}

std::vector<std::pair<std::string, std::string>> IniDocument::Items(
    std::string_view section) const {
  std::vector<std::pair<std::string, std::string>> items;
  size_t header = FindSection(section);
  if (header == kNone)
    return items;
  for (size_t i = header + 1; i < SectionEnd(header); ++i) {
    if (lines_[i].kind == Kind::kKey)
      items.emplace_back(lines_[i].name, lines_[i].value);
  }
  return items;
}

void IniDocument::AddSection(std::string_view section, std::string_view before) {
  if (HasSection(section))
    return;
  Line line;
  line.kind = Kind::kSection;
  line.name = std::string(section);
  // Section names never hold line breaks or both quote kinds here; fall back
  // to the bare name if they did.
  auto quoted = QuoteValue(section);
  line.text = fmt::format("[{}]", quoted.ok() ? *quoted : std::string(section));
  size_t at = before.empty() ? kNone : FindSection(before);
  if (at == kNone) {
    lines_.push_back(std::move(line));
  } else {
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), std::move(line));
  }
}

Status IniDocument::Set(std::string_view section, std::string_view key, std::string_view value) {
  ASSIGN_OR_RETURN(std::string quoted, QuoteValue(value));
  size_t index = FindKey(section, key);
  if (index != kNone) {
    Line& line = lines_[index];
    std::string indent = line.text.substr(0, line.text.find_first_not_of(" \t"));
    auto quoted_key = QuoteValue(line.name);
    line.text = fmt::format("{}{} = {}{}", indent, quoted_key.ok() ? *quoted_key : line.name,
                            quoted, line.comment);
    line.value = std::string(value);
    return OkStatus();
  }
  AddSection(section);
  size_t header = FindSection(section);
  size_t insert_at = header + 1;
  for (size_t i = header + 1; i < SectionEnd(header); ++i) {
    if (lines_[i].kind == Kind::kKey)
      insert_at = i + 1;
  }
  Line line;
  line.kind = Kind::kKey;
  line.name = std::string(key);
  line.value = std::string(value);
  auto quoted_key = QuoteValue(key);
  line.text = fmt::format("    {} = {}", quoted_key.ok() ? *quoted_key : line.name, quoted);
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(insert_at), std::move(line));
  return OkStatus();
}

bool IniDocument::Remove(std::string_view section, std::string_view key) {
  size_t index = FindKey(section, key);
  if (index == kNone)
    return false;
  lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(index));
  if (Items(section).empty())
    RemoveSection(section);
  return true;
}

bool IniDocument::RemoveSection(std::string_view section) {
  size_t header = FindSection(section);
  if (header == kNone)
    return false;
  size_t last = header;
  for (size_t i = header + 1; i < SectionEnd(header); ++i) {
    if (lines_[i].kind == Kind::kKey)
      last = i;
  }
  lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(header),
               lines_.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  return true;
}

}  // namespace conveyor
