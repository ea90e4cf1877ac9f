// One line of a `.dvcignore` file, compiled to a matcher.
//
// DVC turns each line into a regular expression with the Python package
// pathspec (`GitWildMatchPattern.pattern_to_regex`, pathspec 0.12,
// pathspec/patterns/gitwildmatch.py) and matches it against the path relative
// to the `.dvcignore`'s directory (dvc/ignore.py `DvcIgnorePatterns`). This
// class follows that translation, element for element, without a regex
// engine:
//   - `!` at the start negates; `\!` and `\#` are literal; `\x` is `x`.
//   - A slash at the start or in the middle anchors the pattern to the
//     directory of the `.dvcignore`; otherwise it matches at any depth.
//   - A trailing `/` makes it match directories only.
//   - `*` matches within one path component (a whole-component `*` needs at
//     least one character), `?` one character, `[...]` / `[!...]` / `[^...]`
//     one character of a set; `**/` leading, `/**/` inner and `/**` trailing
//     span any number of components.
//   - A pattern that matches a directory also matches everything below it.
// Where pathspec differs from git, DVC's behaviour wins (e.g. `dir/**` also
// matches `dir` itself when `dir` is checked as a directory).
//
// Thread safety: immutable after Parse(); Matches() is const and reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

class IgnorePattern {
 public:
  // Compiles one line that has already had surrounding whitespace removed.
  // An empty line, a comment or "/" gives a pattern that matches nothing; a
  // malformed line (e.g. one ending in `\`) gives kInvalid.
  static Result<IgnorePattern> Parse(std::string_view line);

  // True if `relpath` ('/'-separated, relative to the .dvcignore's directory)
  // matches; `is_dir` says whether it names a directory. Directory-only
  // patterns never match files.
  bool Matches(std::string_view relpath, bool is_dir) const;

  // True for `!pattern`: a match re-includes the path.
  bool negated() const { return negated_; }
  bool dir_only() const { return dir_only_; }
  const std::string& text() const { return text_; }

 private:
  enum class Kind : uint8_t {
    kLiteral,        // one byte
    kAnyChar,        // [^/]
    kClass,          // [...]
    kStar,           // [^/]*
    kPlus,           // [^/]+  (a whole-component '*')
    kLeadingDirs,    // (?:.+/)?
    kInnerDirs,      // (?:/.+)?
    kSlashRest,      // /.*   then end
    kOptionalRest,   // (?:/.*)?   then end
    kAnything,       // [^/]+(?:/.*)?   then end  (a lone '**')
    kHasInnerSlash,  // .+/.*   then end  (the pattern '**/')
  };
  struct Range {
    uint32_t lo;
    uint32_t hi;
  };
  struct Element {
    Kind kind = Kind::kLiteral;
    char literal = 0;
    bool class_negated = false;
    std::vector<Range> ranges;
  };

  IgnorePattern() = default;
  static Element MakeElement(Kind kind, char literal = 0);
  bool MatchOne(std::string_view s) const;
  bool MatchFrom(size_t element, std::string_view s, size_t pos,
                 std::vector<uint8_t>& failed) const;
  static bool ClassContains(const Element& element, uint32_t code_point);

  std::string text_;
  bool negated_ = false;
  bool dir_only_ = false;
  bool matches_nothing_ = false;
  std::vector<Element> elements_;
};

}  // namespace conveyor
