// `status` for data tracked by .dvc files (`conveyor add`): whether each
// recorded output is still what the .dvc file says, as DVC's status reports
// it — "d.dvc: changed outs: deleted: d" — next to the stages' reports.
//
// Thread safety: uses the hasher it is given; one call at a time per hasher.
#pragma once

#include <string>
#include <vector>

#include "cache/hasher.h"
#include "cache/object_store.h"
#include "common/status.h"
#include "pipeline/repro.h"
#include "pipeline/workspace.h"

namespace conveyor {

// Splits status targets into .dvc files the workspace tracks (returned) and
// the rest (left in `targets`, for the stage graph).
std::vector<std::string> TakeTrackedTargets(const Workspace& workspace,
                                            std::vector<std::string>& targets);

// One report per .dvc file (all, or those in `dvcfiles` when not empty): an
// output missing from the workspace is kOutDeleted, one whose content hashes
// differently kOutModified, an unchanged one whose cache object is gone
// kOutNotInCache. Outputs recorded without a hash (not added yet) and DVC 2
// entries (another hash) are not judged.
Result<std::vector<StageReport>> InspectTracked(const Project& project, const Workspace& workspace,
                                                const ObjectStore& store, Hasher& hasher,
                                                const std::vector<std::string>& dvcfiles);

}  // namespace conveyor
