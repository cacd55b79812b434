#include "cli/resident.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace era::cli {
namespace {

// One mapping of /proc/self/smaps: its header line and the fields this needs.
struct Mapping {
  uintptr_t lo = 0, hi = 0;
  std::string perms;
  unsigned long inode = 0;
  long rss_kb = -1, anonymous_kb = -1;
  bool locked = false;

  // Read-only, private, backed by a file, no private copy: unmapping changes no content.
  bool clean_file_pages() const {
    return lo < hi && perms.size() == 4 && perms[1] == '-' && perms[3] == 'p' && inode != 0 &&
           anonymous_kb == 0 && rss_kb > 0 && !locked;
  }
};

// "7f12a000-7f12b000 r-xp 00001000 08:01 1234   /usr/lib/x.so" → true, with the fields set.
bool parse_header(std::string_view line, Mapping& m) {
  // A header starts with an address in lowercase hex; a field starts with its capitalised name.
  if (line.empty() || !((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) return false;
  std::istringstream in{std::string(line)};
  std::string range, offset, dev;
  if (!(in >> range >> m.perms >> offset >> dev >> m.inode)) return false;
  auto dash = range.find('-');
  if (dash == std::string::npos) return false;
  char* end = nullptr;
  m.lo = std::strtoull(range.c_str(), &end, 16);
  if (end != range.c_str() + dash) return false;
  m.hi = std::strtoull(range.c_str() + dash + 1, &end, 16);
  return *end == '\0';
}

long field_kb(std::string_view line, std::string_view name) {
  if (!line.starts_with(name)) return -1;
  return std::strtol(std::string(line.substr(name.size())).c_str(), nullptr, 10);
}

}  // namespace

size_t release_clean_file_pages(const std::string& smaps) {
  std::string text = smaps;
  if (text.empty()) {
    std::ifstream f("/proc/self/smaps");
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  // All of it parsed first, then unmapped in one go: parsing runs library code that would map
  // pages straight back.
  std::vector<Mapping> maps;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    Mapping next;
    if (parse_header(line, next)) maps.push_back(std::move(next));
    else if (maps.empty()) continue;
    else if (long v = field_kb(line, "Rss:"); v >= 0) maps.back().rss_kb = v;
    else if (long v = field_kb(line, "Anonymous:"); v >= 0) maps.back().anonymous_kb = v;
    else if (line.starts_with("VmFlags:")) maps.back().locked = line.find(" lo") != std::string::npos;
  }
  size_t released = 0;
  for (const Mapping& m : maps)
    if (m.clean_file_pages() && ::madvise(reinterpret_cast<void*>(m.lo), m.hi - m.lo, MADV_DONTNEED) == 0)
      released += size_t(m.rss_kb) * 1024;
  return released;
}

}  // namespace era::cli
