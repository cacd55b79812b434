#!/usr/bin/env bash
# Proves find_package(era-emu) works from an install: builds and runs a tiny consumer of
# era::testkit against it.
#   install_check.sh BUILD_DIR        cmake --install BUILD_DIR into a temp prefix first
#   install_check.sh --prefix PREFIX  an existing install (e.g. a .deb unpacked with dpkg -x)
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/era-install-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = --prefix ]; then
  prefix=${2:?usage: install_check.sh --prefix PREFIX}
else
  build_dir=${1:?usage: install_check.sh <era-emu build dir> | --prefix PREFIX}
  prefix=$work/prefix
  cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log"
fi
mkdir -p "$work/consumer"
cat >"$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(era_consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 23)
find_package(era-emu 0.1 REQUIRED)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE era::testkit)
CMAKE
cat >"$work/consumer/main.cpp" <<'CPP'
#include <era/testkit/checks.h>
#include <era/testkit/emulator.h>
#include <iostream>
int main() {
  auto emu = era::testkit::Emulator::start();
  emu.kv("app").put("k", "installed");
  auto c = era::testkit::kv_has(emu.kv("app"), "k", "installed");
  std::cout << c.message() << "\n";
  return c ? 0 : 1;
}
CPP
cmake -S "$work/consumer" -B "$work/consumer/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
ninja -j2 -C "$work/consumer/build" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/consumer/build/consumer"
echo "install check: OK (prefix $prefix)"
