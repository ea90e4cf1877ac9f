#include "common/ini_file.h"

#include <fmt/core.h>

#include <algorithm>

#include "common/redact.h"
#include "common/strings.h"

namespace conveyor {

namespace {

std::string_view Trim(std::string_view text) { return TrimBlanks(text); }

// Removes one level of matching single or double quotes.
std::string_view Unquote(std::string_view text) {
  if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') &&
      text.back() == text.front()) {
    return text.substr(1, text.size() - 2);
  }
  return text;
}

}  // namespace

Result<IniFile> IniFile::Parse(std::string_view text, std::string_view filename) {
  IniFile ini;
  Section* current = nullptr;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = Trim(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return Error(Code::kInvalid, "{}:{}: section header '{}' has no closing ']'", filename,
                     line_number, line);
      }
      std::string name(Unquote(Trim(line.substr(1, line.size() - 2))));
      current = ini.FindSection(name);
      if (current == nullptr) {
        ini.sections_.push_back({name, {}});
        current = &ini.sections_.back();
      }
      continue;
    }
    // Messages about key lines quote the key, never the value (a secret in
    // .dvc/config.local).
    size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      std::string start = ConfigLineForMessage(line);
      if (start.empty())
        return Error(Code::kInvalid, "{}:{}: expected 'key = value'", filename, line_number);
      return Error(Code::kInvalid, "{}:{}: expected 'key = value', found '{}'", filename,
                   line_number, start);
    }
    std::string key(Trim(line.substr(0, equals)));
    if (current == nullptr) {
      return Error(Code::kInvalid, "{}:{}: key '{}' comes before any [section]", filename,
                   line_number, key);
    }
    std::string value(Unquote(Trim(line.substr(equals + 1))));
    auto it = std::find_if(current->items.begin(), current->items.end(),
                           [&](const auto& item) { return item.first == key; });
    if (it != current->items.end()) {
      it->second = std::move(value);
    } else {
      current->items.emplace_back(std::move(key), std::move(value));
    }
  }
  return ini;
}

IniFile::Section* IniFile::FindSection(std::string_view name) {
  auto it = std::find_if(sections_.begin(), sections_.end(),
                         [&](const Section& s) { return s.name == name; });
  return it == sections_.end() ? nullptr : &*it;
}

const IniFile::Section* IniFile::FindSection(std::string_view name) const {
  auto it = std::find_if(sections_.begin(), sections_.end(),
                         [&](const Section& s) { return s.name == name; });
  return it == sections_.end() ? nullptr : &*it;
}

std::optional<std::string> IniFile::Get(std::string_view section, std::string_view key) const {
  const Section* found = FindSection(section);
  if (found == nullptr)
    return std::nullopt;
  for (const auto& [k, v] : found->items) {
    if (k == key)
      return v;
  }
  return std::nullopt;
}

void IniFile::Set(std::string_view section, std::string_view key, std::string_view value) {
  Section* found = FindSection(section);
  if (found == nullptr) {
    sections_.push_back({std::string(section), {}});
    found = &sections_.back();
  }
  for (auto& [k, v] : found->items) {
    if (k == key) {
      v = std::string(value);
      return;
    }
  }
  found->items.emplace_back(std::string(key), std::string(value));
}

bool IniFile::Remove(std::string_view section, std::string_view key) {
  Section* found = FindSection(section);
  if (found == nullptr)
    return false;
  auto it = std::find_if(found->items.begin(), found->items.end(),
                         [&](const auto& item) { return item.first == key; });
  if (it == found->items.end())
    return false;
  found->items.erase(it);
  if (found->items.empty()) {
    sections_.erase(sections_.begin() + (found - sections_.data()));
  }
  return true;
}

std::vector<std::string> IniFile::Sections() const {
  std::vector<std::string> names;
  for (const Section& s : sections_)
    names.push_back(s.name);
  return names;
}

std::vector<std::pair<std::string, std::string>> IniFile::Items(std::string_view section) const {
  const Section* found = FindSection(section);
  return found == nullptr ? std::vector<std::pair<std::string, std::string>>{} : found->items;
}

std::string IniFile::Serialize() const {
  std::string text;
  for (const Section& section : sections_) {
    bool quote = section.name.find_first_of(" \"") != std::string::npos;
    text += quote ? fmt::format("['{}']\n", section.name) : fmt::format("[{}]\n", section.name);
    for (const auto& [key, value] : section.items)
      text += fmt::format("    {} = {}\n", key, value);
  }
  return text;
}

}  // namespace conveyor
