#pragma once
// What the server process keeps resident once it is up.
#include <cstddef>
#include <string>

namespace era::cli {

// Unmaps this process's resident pages of read-only, private file mappings that hold no private
// copy (the executable's and shared libraries' code and read-only data), so they stop counting
// in its resident set. Nothing is lost: the pages stay in the page cache and the next touch maps
// them back. After start-up, most of those pages are start-up code that never runs again (and
// neighbours the kernel mapped around it, 64 KiB per fault). Writable mappings, mappings holding
// private copies (relocated data), shared mappings (LMDB's map) and anonymous memory are left
// alone. `smaps` is the text of /proc/self/smaps (read when empty). Returns the bytes unmapped.
size_t release_clean_file_pages(const std::string& smaps = {});

}  // namespace era::cli
