// An INI file in the dialect Python's configobj reads and writes (DVC's
// .dvc/config), kept line by line so that an edit touches only the lines it
// must: comments, blank lines, unknown sections and keys, and the original
// spelling and quoting of everything else come back byte for byte.
//
// Dialect: `[name]` or `['name "with quotes"']` section headers, `key = value`
// lines (written indented by four spaces), `#` comments on their own line or
// after a value, values optionally in '...', "..." or '''...''' quotes.
// Section and key names match case-insensitively (DVC lower-cases them when it
// loads a file). Not supported, and reported as errors naming the line:
// nested `[[sub]]` sections, values spanning several lines, keys outside any
// section, and a section or key given twice (configobj refuses those too).
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

class IniDocument {
 public:
  // Parses `text`; errors read "<filename>:<line>: <what>".
  static Result<IniDocument> Parse(std::string_view text, std::string_view filename);

  // The file's text: unchanged lines as read, edited and new ones as
  // configobj writes them.
  std::string Serialize() const;

  // Section names as written (unquoted), in file order.
  std::vector<std::string> Sections() const;
  bool HasSection(std::string_view section) const;
  // 1-based line of the section's header, 0 when absent.
  int SectionLine(std::string_view section) const;
  std::optional<std::string> Get(std::string_view section, std::string_view key) const;
  // 1-based line of the key, 0 when absent.
  int KeyLine(std::string_view section, std::string_view key) const;
  // Keys (as written) and values of one section, in file order.
  std::vector<std::pair<std::string, std::string>> Items(std::string_view section) const;

  // Adds an empty section unless it exists: before section `before` when that
  // exists, else at the end.
  void AddSection(std::string_view section, std::string_view before = {});
  // Sets a value, keeping the line's indentation and trailing comment when
  // the key exists, else adding it after the section's last key (adding the
  // section at the end when needed). Fails (kInvalid) for values configobj
  // cannot quote: ones with a line break, or with both ''' and """.
  Status Set(std::string_view section, std::string_view key, std::string_view value);
  // Removes a key; a section left with no keys is removed too, as DVC drops
  // empty sections. Returns whether the key existed.
  bool Remove(std::string_view section, std::string_view key);
  // Removes a section's header and its lines up to its last key; comments
  // after that are left in place. Returns whether it existed.
  bool RemoveSection(std::string_view section);

  // How configobj writes `value` after "key = " (quoted only when needed).
  static Result<std::string> QuoteValue(std::string_view value);

 private:
  enum class Kind { kBlank, kComment, kSection, kKey };
  struct Line {
    Kind kind = Kind::kBlank;
    std::string text;     // the raw line, without its line break
    std::string name;     // section or key name, unquoted
    std::string value;    // kKey: the value, unquoted
    std::string comment;  // kKey: "  # ..." after the value, if any
  };

  // Index of the section's header line, or npos.
  size_t FindSection(std::string_view section) const;
  // One past the last line of the section starting at header `begin`.
  size_t SectionEnd(size_t begin) const;
  size_t FindKey(std::string_view section, std::string_view key) const;

  std::vector<Line> lines_;
};

}  // namespace conveyor
