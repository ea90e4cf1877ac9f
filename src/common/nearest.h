// "Did you mean ...?" suggestions for misspelt names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conveyor {

// Edit distance between two byte strings, counting a swap of neighbours as
// one edit ("trian" -> "train" is 1).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if one is close enough to be a plausible
// typo (distance at most max(1, size/3)). Ties go to the earlier candidate.
std::optional<std::string> Nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — ready to append to an error message.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace conveyor
