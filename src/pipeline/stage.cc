#include "pipeline/stage.h"

#include <fmt/core.h>

namespace conveyor {

std::string SourceLocation::ToString() const {
  if (line <= 0)
    return file;
  if (column <= 0)
    return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

}  // namespace conveyor
