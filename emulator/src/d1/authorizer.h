#pragma once
// What D1 refuses, as an authorizer policy (cloudflare-storage-semantics.md §3.1):
// ATTACH/DETACH, SQL transactions (BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE), temporary
// tables/indexes/views/triggers, PRAGMAs outside D1's list, and any use of the reserved `_cf_`
// names, and the SQL functions that expose pointers or load code (function_refused). The
// engine's own BEGIN/COMMIT run with the connection marked trusted.
#include <optional>
#include <string>

#include "store/sqlite.h"

namespace era::d1 {

// workerd's refusal of SQL transactions, word for word.
inline constexpr const char* kTransactionRefused =
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing.";

// nullopt = allowed; "" = "not authorized"; other = the refusal's message.
std::optional<std::string> authorize(const store::sqlite::AuthRequest& r);

bool pragma_allowed(std::string_view name, bool has_value);
bool reserved_name(std::string_view name);
// SQL functions D1 code may not call (pointers out, code in): fts3_tokenizer, load_extension.
bool function_refused(std::string_view name);

}  // namespace era::d1
