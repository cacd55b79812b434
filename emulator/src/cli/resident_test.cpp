#include "cli/resident.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

constexpr size_t kSize = 1 << 20;

// The Rss (KiB) of the mapping starting at `p`, from /proc/self/smaps; -1 if there is none.
long rss_kb_at(const void* p) {
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(p));
  std::ifstream f("/proc/self/smaps");
  bool in = false;
  for (std::string line; std::getline(f, line);) {
    if (line.starts_with(start)) in = true;
    else if (in && line.starts_with("Rss:")) return std::stol(line.substr(4));
  }
  return -1;
}

struct TempFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("era-resident-" + std::to_string(::getpid()));
  int fd = -1;
  TempFile() {
    std::string bytes(kSize, '\0');
    for (size_t i = 0; i < kSize; ++i) bytes[i] = char('a' + i % 26);
    std::ofstream(path, std::ios::binary) << bytes;
    fd = ::open(path.c_str(), O_RDONLY);
  }
  ~TempFile() {
    ::close(fd);
    std::filesystem::remove(path);
  }
};

unsigned long sum(const char* p) {
  unsigned long s = 0;
  for (size_t i = 0; i < kSize; i += 512) s += static_cast<unsigned char>(p[i]);
  return s;
}

}  // namespace

TEST_CASE("resident: clean read-only file pages are unmapped and come back intact", "[resident]") {
  TempFile file;
  REQUIRE(file.fd >= 0);
  auto* p = static_cast<const char*>(::mmap(nullptr, kSize, PROT_READ, MAP_PRIVATE, file.fd, 0));
  REQUIRE(p != MAP_FAILED);
  const unsigned long expected = sum(p);  // touches every page
  REQUIRE(rss_kb_at(p) == long(kSize / 1024));

  size_t released = era::cli::release_clean_file_pages();
  CHECK(released >= kSize);
  CHECK(rss_kb_at(p) == 0);
  CHECK(sum(p) == expected);  // mapped back from the page cache, same bytes
  CHECK(rss_kb_at(p) == long(kSize / 1024));
  ::munmap(const_cast<char*>(p), kSize);
}

TEST_CASE("resident: private copies, writable and shared mappings are left alone", "[resident]") {
  TempFile file;
  REQUIRE(file.fd >= 0);
  // Like relocated read-only data: written while writable, then made read-only.
  int rw = ::open(file.path.c_str(), O_RDONLY);
  auto* relro = static_cast<char*>(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, rw, 0));
  REQUIRE(relro != MAP_FAILED);
  std::memset(relro, 'Z', kSize);
  REQUIRE(::mprotect(relro, kSize, PROT_READ) == 0);
  auto* writable = static_cast<char*>(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, rw, 0));
  REQUIRE(writable != MAP_FAILED);
  const unsigned long writable_sum = sum(writable);
  auto* shared = static_cast<const char*>(::mmap(nullptr, kSize, PROT_READ, MAP_SHARED, file.fd, 0));
  REQUIRE(shared != MAP_FAILED);
  const unsigned long shared_sum = sum(shared);

  era::cli::release_clean_file_pages();
  CHECK(rss_kb_at(relro) == long(kSize / 1024));
  CHECK(rss_kb_at(writable) == long(kSize / 1024));
  CHECK(rss_kb_at(shared) == long(kSize / 1024));
  for (size_t i = 0; i < kSize; i += 4096) REQUIRE(relro[i] == 'Z');  // the private copy survived
  CHECK(sum(writable) == writable_sum);
  CHECK(sum(shared) == shared_sum);
  ::munmap(relro, kSize);
  ::munmap(writable, kSize);
  ::munmap(const_cast<char*>(shared), kSize);
  ::close(rw);
}

TEST_CASE("resident: smaps text it cannot read changes nothing", "[resident]") {
  CHECK(era::cli::release_clean_file_pages("not smaps at all\nRss: 12 kB\n") == 0);
  CHECK(era::cli::release_clean_file_pages(
            "00001000-00002000 r-xp 00000000 08:01 42 /x\nRss: 4 kB\n") == 0);  // no Anonymous line
}
