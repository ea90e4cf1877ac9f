// DVC's config files (.dvc/config, .dvc/config.local): INI as Python's
// configobj writes it — `[section]` or `['remote "name"']` headers, indented
// `key = value` lines, `#` comments.
//
// Thread safety: a value type; no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace conveyor {

class IniFile {
 public:
  // Parses `text`; errors name `filename` and the line at fault.
  static Result<IniFile> Parse(std::string_view text, std::string_view filename);

  std::optional<std::string> Get(std::string_view section, std::string_view key) const;
  // Sets a value, adding the section and key at the end when new.
  void Set(std::string_view section, std::string_view key, std::string_view value);
  // Removes a key; removes the section when it becomes empty. Returns whether
  // the key existed.
  bool Remove(std::string_view section, std::string_view key);

  std::vector<std::string> Sections() const;
  // Keys and values of one section in file order; empty when absent.
  std::vector<std::pair<std::string, std::string>> Items(std::string_view section) const;

  // The text DVC would write: sections in order, names needing it quoted
  // (`['remote "x"']`), keys indented by four spaces.
  std::string Serialize() const;

 private:
  struct Section {
    std::string name;
    std::vector<std::pair<std::string, std::string>> items;
  };
  Section* FindSection(std::string_view name);
  const Section* FindSection(std::string_view name) const;

  std::vector<Section> sections_;
};

}  // namespace conveyor
