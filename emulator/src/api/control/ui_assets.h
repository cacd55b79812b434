#pragma once
// The web inspector's files (emulator/ui/), embedded at build time by cmake/embed_ui.cmake.
#include <string_view>
#include <vector>

namespace era::api {

struct UiAsset {
  std::string_view name;          // "index.html", "app.js", ...
  std::string_view content_type;
  std::string_view bytes;
};

const std::vector<UiAsset>& ui_assets();

}  // namespace era::api
