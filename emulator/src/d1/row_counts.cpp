#include "d1/row_counts.h"

#include <algorithm>
#include <span>

namespace era::d1 {

using store::sqlite::ExecutedOp;
using store::sqlite::Opcode;

namespace {

constexpr int64_t kOpflagNchange = 0x01;  // OPFLAG_NCHANGE (OP_Delete's P2)
constexpr int64_t kOpflagSeekEq = 0x02;   // OPFLAG_SEEKEQ (OP_OpenRead's P5): EQ-only seeks

bool is_seek(Opcode o) {
  return o == Opcode::SeekGE || o == Opcode::SeekGT || o == Opcode::SeekLE || o == Opcode::SeekLT;
}
// SorterSort and Sort run OP_Rewind's code, so the patch counts them as Rewinds.
bool is_opener(Opcode o) {
  return o == Opcode::Rewind || o == Opcode::SorterSort || o == Opcode::Sort || o == Opcode::Last ||
         is_seek(o);
}
// SorterNext ends in OP_Next's code (next_tail), where a successful step is counted.
bool is_step(Opcode o) { return o == Opcode::Next || o == Opcode::Prev || o == Opcode::SorterNext; }

bool has(const std::vector<int64_t>& v, int64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// One program (the statement's, or one trigger's): its executed instructions in address order.
RowCounts count_program(std::span<const ExecutedOp> ops, std::optional<int64_t>& count_result,
                        int64_t changes, const EntriesAt& entries, bool& cleared) {
  std::vector<int64_t> ephemeral, seek_eq;  // cursors; a handful at most
  for (const ExecutedOp& op : ops) {
    switch (op.opcode) {
      case Opcode::OpenEphemeral:
      case Opcode::OpenAutoindex:
      case Opcode::SorterOpen:
      case Opcode::OpenPseudo:
      case Opcode::OpenDup: ephemeral.push_back(op.p1); break;
      case Opcode::OpenRead:
      case Opcode::OpenWrite:
      case Opcode::ReopenIdx:
        if (op.p5 & kOpflagSeekEq) seek_eq.push_back(op.p1);
        break;
      default: break;
    }
  }
  auto find = [&](int64_t addr) -> const ExecutedOp* {
    auto it = std::lower_bound(ops.begin(), ops.end(), addr,
                               [](const ExecutedOp& op, int64_t a) { return op.addr < a; });
    return it != ops.end() && it->addr == addr ? &*it : nullptr;
  };
  auto nexec = [&](int64_t addr) -> int64_t {
    const ExecutedOp* op = find(addr);
    return op ? op->nexec : 0;
  };
  // An EQ-only seek that finds its row skips the IdxGT/IdxLT after it (vdbe.c OP_SeekGE), so
  // the times it found one are the times the instruction after that ran (capped by its runs).
  auto eq_only = [&](const ExecutedOp& op) { return is_seek(op.opcode) && has(seek_eq, op.p1); };
  auto eq_found = [&](const ExecutedOp& seek) { return std::min(seek.nexec, nexec(seek.addr + 2)); };
  auto returns_register = [&](int64_t reg) {
    for (const ExecutedOp& r : ops) {
      if (r.opcode != Opcode::ResultRow || r.p2 != 1) continue;
      if (r.p1 == reg) return true;
      for (const ExecutedOp& c : ops)
        if ((c.opcode == Opcode::Copy || c.opcode == Opcode::SCopy) && c.p1 == reg && c.p2 == r.p1)
          return true;
    }
    return false;
  };

  RowCounts n;
  std::vector<int> consumed;  // addresses of openers accounted for by their loop
  for (const ExecutedOp& op : ops) {
    if (!is_step(op.opcode)) continue;
    // A loop: the opener (Rewind/Last/seek/sort on the same cursor) right before the body at
    // P2, this step jumping back to it. The patch counts the opener each time it runs (an
    // EQ-only seek only when it finds a row) and each successful step. The body runs once per
    // row the opener found plus once per successful step, so a loop reads: the body's runs
    // plus the opens that found nothing; after an EQ-only seek (whose found row skips the
    // body's first instruction) the seeks that found a row plus the body's runs.
    int64_t body = nexec(op.p2);
    int64_t reads = body;
    const ExecutedOp* o = find(op.p2 - 1);
    if (o && is_opener(o->opcode) && o->p1 == op.p1) {
      consumed.push_back(o->addr);
      reads = eq_only(*o) ? eq_found(*o) + body : body + std::max<int64_t>(0, o->nexec - body);
    }
    n.read += reads;
  }
  for (const ExecutedOp& op : ops) {
    switch (op.opcode) {
      case Opcode::SeekRowid:
      case Opcode::NotExists:
      case Opcode::VNext: n.read += op.nexec; break;
      case Opcode::Count:
        // The entries it counted are not in the execution counts. A bare count(*) returns
        // them: when its register (or a copy of it) is the one-column row the statement
        // returned, that value is the count (used once). Otherwise (`SELECT (SELECT count(*)
        // FROM t) + 1`) the b-tree it counted — the root page its cursor was opened on — is
        // asked how many entries it holds. P3 set: an estimate, which the patch does not count.
        if (op.p3 != 0) break;
        if (count_result && returns_register(op.p2)) {
          n.read += *count_result * op.nexec;
          count_result.reset();
        } else if (entries) {
          for (const ExecutedOp& o : ops)
            if (o.opcode == Opcode::OpenRead && o.p1 == op.p1 && o.p3 == 0) {  // P3 0: main
              if (auto e = entries(o.p2)) n.read += *e * op.nexec;
              break;
            }
        }
        break;
      case Opcode::Insert:
      case Opcode::IdxInsert:
        if (!has(ephemeral, op.p1)) n.written += op.nexec;
        break;
      case Opcode::Delete:
        if (op.p2 & kOpflagNchange) n.written += op.nexec;
        break;
      case Opcode::Clear:
        if (op.p3 != 0 && !cleared) {
          cleared = true;  // DELETE FROM t without WHERE: the rows it emptied are its changes
          n.written += changes;
        }
        break;
      case Opcode::VUpdate: n.written += op.nexec; break;
      default:
        // A lookup that is not a loop's start.
        if (is_opener(op.opcode) && std::find(consumed.begin(), consumed.end(), op.addr) == consumed.end())
          n.read += eq_only(op) ? eq_found(op) : op.nexec;
        break;
    }
  }
  return n;
}

}  // namespace

RowCounts count_rows(const std::vector<ExecutedOp>& ops, std::optional<int64_t> count_result,
                     int64_t changes, const EntriesAt& entries) {
  RowCounts total;
  bool cleared = false;
  for (size_t i = 0; i < ops.size();) {  // one program at a time (they come one after another)
    size_t j = i;
    while (j < ops.size() && ops[j].program == ops[i].program) ++j;
    RowCounts n = count_program(std::span(ops).subspan(i, j - i), count_result, changes, entries,
                                cleared);
    total.read += n.read;
    total.written += n.written;
    i = j;
  }
  return total;
}

}  // namespace era::d1
