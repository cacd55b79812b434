#include "store/paths.h"

#include <string>

namespace era::store {

std::filesystem::path Paths::blob(std::string_view id) const {
  std::string shard(id.substr(0, 2));
  if (shard.size() < 2) shard = "00";
  return blobs_dir() / shard / std::string(id);
}

}  // namespace era::store
