#include "pipeline/data_tracking.h"

#include <filesystem>
#include <system_error>

#include "common/file_util.h"
#include "pipeline/dvc_file.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

std::string Basename(const std::string& relpath) {
  size_t slash = relpath.rfind('/');
  return slash == std::string::npos ? relpath : relpath.substr(slash + 1);
}

}  // namespace

Result<AddResult> AddPath(ProjectCache& cache, const Workspace& workspace, Hasher& hasher,
                          const std::string& relpath) {
  const Project& project = cache.project();
  if (relpath == "." || PathWithin(relpath, ".dvc") || PathWithin(relpath, ".git")) {
    return Error(Code::kInvalid, "cannot add '{}': it is the project or its metadata", relpath);
  }
  if (std::optional<size_t> producer = workspace.dag().ProducerOf(relpath)) {
    return Error(Code::kInvalid,
                 "cannot add '{}': it is an output of stage '{}', already tracked in dvc.lock",
                 relpath, workspace.dag().node(*producer).Address());
  }
  std::string dvcfile = relpath + ".dvc";
  for (const TrackedFile& tracked : workspace.tracked()) {
    if (tracked.dvcfile == dvcfile)
      continue;
    std::string dir = ParentDir(tracked.dvcfile);
    for (const DvcOut& out : tracked.content.outs) {
      ASSIGN_OR_RETURN(std::string other, JoinProjectPath(dir, out.path));
      if (PathWithin(relpath, other) || PathWithin(other, relpath)) {
        return Error(Code::kInvalid, "cannot add '{}': it overlaps '{}', tracked by '{}'", relpath,
                     other, tracked.dvcfile);
      }
    }
  }
  fs::path absolute = project.root() / relpath;
  std::error_code ec;
  if (!fs::exists(absolute, ec)) {
    return Error(Code::kNotFound, "cannot add '{}': no such file or directory", relpath);
  }

  ASSIGN_OR_RETURN(HashedObject hashed, hasher.Hash(absolute, true));
  RETURN_IF_ERROR(cache.store().Save(absolute, hashed.hash, hashed.tree ? &*hashed.tree : nullptr));
  // With a link-based cache.type the workspace copy becomes links into the
  // cache, as `dvc add` leaves it.
  LinkType first = cache.link_types().front();
  if (first == LinkType::kHardlink || first == LinkType::kSymlink) {
    RETURN_IF_ERROR(cache.store().Checkout(absolute, hashed.hash, cache.link_types()));
  }

  bool isexec = IsExecutableFile(absolute);
  AddResult result;
  result.path = relpath;
  result.dvcfile = dvcfile;
  result.hash = hashed.hash;
  fs::path dvcfile_path = project.root() / dvcfile;
  DvcFile file;
  if (fs::exists(dvcfile_path, ec)) {
    ASSIGN_OR_RETURN(file, ReadDvcFile(dvcfile_path));
    if (file.outs.size() != 1) {
      return Error(Code::kInvalid, "cannot update '{}': it tracks {} outputs, expected 1", dvcfile,
                   file.outs.size());
    }
    DvcOut& out = file.outs.front();
    result.changed = out.hash != hashed.hash || !out.has_hash_field || out.isexec != isexec;
    out.hash = hashed.hash;
    out.has_hash_field = true;
    out.isexec = isexec;
  } else {
    file = MakeAddedDvcFile(Basename(relpath), hashed.hash, isexec);
  }
  if (result.changed)
    RETURN_IF_ERROR(WriteDvcFile(dvcfile_path, file));
  if (project.UsesGit()) {
    ASSIGN_OR_RETURN(result.gitignore_updated, AddToGitignore(absolute));
  }
  return result;
}

}  // namespace conveyor
