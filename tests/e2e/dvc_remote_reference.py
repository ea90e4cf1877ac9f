#!/usr/bin/python3
"""A reference for DVC 3's remote layout, written without conveyor's code.

Test tooling only (tests/e2e/push_pull_test.cc): there is no DVC in Debian 12
to fill or read a remote, so this script does what DVC 3 does, following
dvc-data: an object's path is files/md5/<first 2 hex>/<other 30 hex>
(HashFileDB.oid_to_path); a directory is a ".dir" object holding the JSON of
its files' entries, sorted by relpath, keys sorted, Python's default
separators (Tree.as_list, Tree.as_bytes), named by the md5 of those bytes.

  dvc_remote_reference.py fill REMOTE DIR
      writes DIR's files and its .dir object into REMOTE as DVC's push does,
      and prints the .dvc file DVC writes for DIR (out path: DIR's name)
  dvc_remote_reference.py check REMOTE DIR
      checks that REMOTE holds DIR's files and its .dir object with exactly
      those bytes; prints what is missing or different and exits 1
"""
import hashlib
import json
import os
import sys


def object_path(remote, md5):
    return os.path.join(remote, "files", "md5", md5[:2], md5[2:])


def directory_objects(directory):
    """{md5: bytes} for DIR's files and its .dir listing, the listing's md5, size, count."""
    objects = {}
    entries = []
    size = 0
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            md5 = hashlib.md5(data).hexdigest()
            objects[md5] = data
            relpath = os.path.relpath(path, directory).replace(os.sep, "/")
            entries.append({"md5": md5, "relpath": relpath})
            size += len(data)
    entries.sort(key=lambda e: e["relpath"])
    listing = json.dumps(entries, sort_keys=True).encode("utf-8")
    listing_md5 = hashlib.md5(listing).hexdigest() + ".dir"
    objects[listing_md5] = listing
    return objects, listing_md5, size, len(entries)


def fill(remote, directory):
    objects, listing_md5, size, count = directory_objects(directory)
    for md5, data in objects.items():
        path = object_path(remote, md5)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    name = os.path.basename(os.path.normpath(directory))
    print(f"outs:\n- md5: {listing_md5}\n  size: {size}\n  nfiles: {count}\n"
          f"  hash: md5\n  path: {name}")
    return 0


def check(remote, directory):
    objects, _, _, _ = directory_objects(directory)
    problems = []
    for md5, data in sorted(objects.items()):
        path = object_path(remote, md5)
        try:
            with open(path, "rb") as f:
                found = f.read()
        except OSError as error:
            problems.append(f"{path}: {error.strerror}")
            continue
        if found != data:
            problems.append(f"{path}: holds {found!r}, DVC writes {data!r}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def main(argv):
    if len(argv) != 4 or argv[1] not in ("fill", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    return (fill if argv[1] == "fill" else check)(argv[2], argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
