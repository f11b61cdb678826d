#include "store/support/fault_disk.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "store/profile_fs.h"
#include "store/vfs.h"

namespace exile::store::test {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSector = 512;

// One unsynced change to a file's contents: a write, or a truncation to `offset` bytes.
struct PendingOp {
  std::int64_t offset = 0;
  std::string data;
  bool truncate = false;
};

// A file's contents, independent of its name (a renamed or removed file keeps its inode).
struct Inode {
  std::string durable;
  std::vector<PendingOp> pending;
};
using InodePtr = std::shared_ptr<Inode>;

struct EntryOp {
  enum Kind { Create, Remove, Rename } kind;
  std::string name;
  std::string to;  // Rename only
  InodePtr inode;
};

void apply_write(std::string& s, std::int64_t offset, const char* data, std::size_t n) {
  const auto off = static_cast<std::size_t>(offset);
  if (s.size() < off + n) s.resize(off + n, '\0');
  std::memcpy(s.data() + off, data, n);
}

void apply_op(std::string& s, const PendingOp& op) {
  if (op.truncate) {
    s.resize(static_cast<std::size_t>(op.offset), '\0');
  } else {
    apply_write(s, op.offset, op.data.data(), op.data.size());
  }
}

// Applies the sectors of a write selected by `keep` (one call per sector, in order).
template <class Keep>
void apply_sectors(std::string& s, const PendingOp& op, Keep&& keep) {
  std::int64_t at = op.offset;
  const std::int64_t end = op.offset + static_cast<std::int64_t>(op.data.size());
  while (at < end) {
    const std::int64_t next = std::min(end, (at / kSector + 1) * kSector);
    if (keep()) {
      apply_write(s, at, op.data.data() + (at - op.offset), static_cast<std::size_t>(next - at));
    }
    at = next;
  }
}

std::string contents_now(const Inode& inode) {
  std::string s = inode.durable;
  for (const auto& op : inode.pending) apply_op(s, op);
  return s;
}

std::string read_whole(const fs::path& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

bool write_whole(const fs::path& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return done == bytes.size();
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fault disk: %s\n", what);
  std::abort();
}

}  // namespace

struct FaultDisk::Impl final : ProfileFileSystem {
  std::recursive_mutex mutex;
  bool armed = false;
  bool failed = false;
  std::uint64_t countdown = 0;
  std::uint64_t ops = 0;
  fs::path dir;
  std::map<std::string, InodePtr> current;  // the process's view of the directory
  std::map<std::string, InodePtr> durable;  // the entries as of the last directory sync
  std::vector<EntryOp> entry_log;           // entry changes since then
  int open_files = 0;                       // open VFS files in `dir`

  // --- the model ------------------------------------------------------------------------------

  bool tracks(const fs::path& path) const { return armed && path.parent_path() == dir; }
  static std::string name_of(const fs::path& path) { return path.filename().string(); }

  // Counts one mutating operation; true when the power has failed (now or before).
  bool tick() {
    if (failed) return true;
    ++ops;
    if (countdown != 0 && ops >= countdown) failed = true;
    return failed;
  }

  // The inode behind `name`; a file made outside the model (not through SQLite or the profile
  // file system) is taken as it is, durable.
  InodePtr lookup(const std::string& name) {
    if (auto it = current.find(name); it != current.end()) return it->second;
    std::error_code ec;
    if (!fs::is_regular_file(dir / name, ec)) return nullptr;
    auto inode = std::make_shared<Inode>();
    inode->durable = read_whole(dir / name);
    current[name] = inode;
    durable[name] = inode;
    return inode;
  }

  InodePtr create(const std::string& name) {
    auto inode = std::make_shared<Inode>();
    current[name] = inode;
    entry_log.push_back({EntryOp::Create, name, {}, inode});
    return inode;
  }

  void record_remove(const std::string& name) {
    auto it = current.find(name);
    if (it == current.end()) return;
    entry_log.push_back({EntryOp::Remove, name, {}, it->second});
    current.erase(it);
  }

  static void sync_inode(Inode& inode) {
    for (const auto& op : inode.pending) apply_op(inode.durable, op);
    inode.pending.clear();
  }

  void sync_entries() {
    durable = current;
    entry_log.clear();
  }

  void start(const fs::path& d, std::uint64_t n) {
    std::lock_guard lock(mutex);
    if (open_files != 0) die("arm() with files of the directory open");
    armed = true;
    failed = false;
    countdown = n;
    ops = 0;
    dir = d;
    current.clear();
    durable.clear();
    entry_log.clear();
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) (void)lookup(name_of(entry.path()));
    }
  }

  void stop() {
    armed = false;
    failed = false;
    current.clear();
    durable.clear();
    entry_log.clear();
  }

  LossReport lose(LossKind kind, std::mt19937_64& rng) {
    std::lock_guard lock(mutex);
    if (!armed) die("power_loss() while not armed");
    if (open_files != 0) die("power_loss() with files of the directory open");
    LossReport report;
    report.unsynced_entries = entry_log.size();
    const auto coin = [&rng] { return (rng() & 1) != 0; };

    // The directory after the loss.
    std::map<std::string, InodePtr> after = durable;
    std::size_t prefix = entry_log.size();
    if (kind == LossKind::TornWrite) prefix = rng() % (entry_log.size() + 1);
    for (std::size_t i = 0; i < entry_log.size(); ++i) {
      const EntryOp& op = entry_log[i];
      bool keep = true;
      switch (kind) {
        case LossKind::DropUnsynced: keep = false; break;
        case LossKind::RandomSectors: keep = coin(); break;
        case LossKind::TornWrite: keep = i < prefix; break;
        case LossKind::ResurrectUnlinked: keep = op.kind != EntryOp::Remove; break;
        case LossKind::DropCreated: keep = op.kind != EntryOp::Create; break;
      }
      if (!keep) continue;
      switch (op.kind) {
        case EntryOp::Create: after[op.name] = op.inode; break;
        case EntryOp::Remove: after.erase(op.name); break;
        case EntryOp::Rename:
          after.erase(op.name);
          after[op.to] = op.inode;
          break;
      }
    }

    // Each surviving file's contents after the loss.
    std::map<const Inode*, std::string> contents;
    for (const auto& [name, inode] : after) {
      if (contents.contains(inode.get())) continue;
      report.unsynced_writes += inode->pending.size();
      std::string s = inode->durable;
      switch (kind) {
        case LossKind::DropUnsynced: break;
        case LossKind::RandomSectors:
          for (const auto& op : inode->pending) {
            if (op.truncate) {
              if (coin()) apply_op(s, op);
            } else {
              apply_sectors(s, op, coin);
            }
          }
          break;
        case LossKind::TornWrite: {
          const std::size_t torn = rng() % (inode->pending.size() + 1);
          for (std::size_t i = 0; i < torn; ++i) apply_op(s, inode->pending[i]);
          if (torn < inode->pending.size()) {
            const PendingOp& op = inode->pending[torn];
            if (!op.truncate) apply_sectors(s, op, coin);
          }
          break;
        }
        case LossKind::ResurrectUnlinked:
        case LossKind::DropCreated:
          for (const auto& op : inode->pending) apply_op(s, op);
          break;
      }
      contents[inode.get()] = std::move(s);
    }

    // Rewrite what differs from the process's view.
    std::set<std::string> names;
    for (const auto& [name, inode] : current) names.insert(name);
    for (const auto& [name, inode] : after) names.insert(name);
    for (const auto& name : names) {
      const fs::path path = dir / name;
      const auto now = current.find(name);
      const auto then = after.find(name);
      if (then == after.end()) {
        report.changed = true;
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) die("cannot remove a file");
        continue;
      }
      const std::string& bytes = contents[then->second.get()];
      if (now != current.end() && now->second == then->second &&
          contents_now(*now->second) == bytes) {
        continue;
      }
      report.changed = true;
      (void)::unlink(path.c_str());
      if (!write_whole(path, bytes)) die("cannot rewrite a file");
    }
    stop();
    return report;
  }

  // --- ProfileFileSystem ----------------------------------------------------------------------

  ProfileFileSystem& posix() { return posix_profile_file_system(); }

  int write_synced_file(const fs::path& path, ByteView bytes) override {
    std::lock_guard lock(mutex);
    if (!tracks(path)) return posix().write_synced_file(path, bytes);
    const std::string name = name_of(path);
    InodePtr inode = lookup(name);
    if (tick()) return EIO;  // open(O_CREAT | O_TRUNC)
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    if (inode == nullptr) {
      inode = create(name);
    } else {
      inode->pending.push_back({0, {}, true});
    }
    if (tick()) {
      ::close(fd);
      return EIO;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    inode->pending.push_back(
        {0, std::string(reinterpret_cast<const char*>(bytes.data()), done), false});
    if (done != bytes.size()) return EIO;
    if (tick()) return EIO;  // fsync
    sync_inode(*inode);
    return 0;
  }

  int sync_file(const fs::path& path) override {
    std::lock_guard lock(mutex);
    if (!tracks(path)) return posix().sync_file(path);
    InodePtr inode = lookup(name_of(path));
    if (inode == nullptr) return ENOENT;
    if (tick()) return EIO;
    sync_inode(*inode);
    return 0;
  }

  int sync_directory(const fs::path& d) override {
    std::lock_guard lock(mutex);
    if (!armed || d != dir) return posix().sync_directory(d);
    if (tick()) return EIO;
    sync_entries();
    return 0;
  }

  int rename_file(const fs::path& from, const fs::path& to) override {
    std::lock_guard lock(mutex);
    if (!tracks(from) || !tracks(to)) return posix().rename_file(from, to);
    InodePtr inode = lookup(name_of(from));
    if (inode == nullptr) return ENOENT;
    (void)lookup(name_of(to));
    if (tick()) return EIO;
    if (std::rename(from.c_str(), to.c_str()) != 0) return errno;
    current.erase(name_of(from));
    current[name_of(to)] = inode;
    entry_log.push_back({EntryOp::Rename, name_of(from), name_of(to), inode});
    return 0;
  }

  int remove_file(const fs::path& path) override {
    std::lock_guard lock(mutex);
    if (!tracks(path)) return posix().remove_file(path);
    if (lookup(name_of(path)) == nullptr) return 0;
    if (tick()) return EIO;
    if (::unlink(path.c_str()) != 0) return errno;
    record_remove(name_of(path));
    return 0;
  }
};

namespace {

FaultDisk::Impl* g_disk = nullptr;
sqlite3_vfs* g_real = nullptr;  // the unix VFS
sqlite3_vfs g_fault_vfs = {};
constexpr const char* kFaultVfsName = "exile-fault";

// The file object: SQLite allocates szOsFile bytes; the real file follows this struct.
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
  InodePtr inode;               // null: not in the modelled directory (pass through)
  bool sync_dir_on_first_sync;  // what the unix VFS does for journals it opens with CREATE
};

FaultFile* as_fault(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file); }

// True when a call on `f` must fail: the power has failed and the file is in the directory.
bool dead(const FaultFile* f) { return f->inode != nullptr && g_disk->failed; }

int f_close(sqlite3_file* file) {
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g_disk->mutex);
  const int rc = f->real->pMethods != nullptr ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  if (f->inode != nullptr) --g_disk->open_files;
  f->inode.~InodePtr();
  return rc;
}

int f_read(sqlite3_file* file, void* out, int n, sqlite3_int64 offset) {
  FaultFile* f = as_fault(file);
  if (dead(f)) return SQLITE_IOERR_READ;
  return f->real->pMethods->xRead(f->real, out, n, offset);
}

int f_write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g_disk->mutex);
  if (f->inode == nullptr) return f->real->pMethods->xWrite(f->real, data, n, offset);
  if (g_disk->tick()) return SQLITE_IOERR_WRITE;
  const int rc = f->real->pMethods->xWrite(f->real, data, n, offset);
  if (rc == SQLITE_OK) {
    f->inode->pending.push_back(
        {offset, std::string(static_cast<const char*>(data), static_cast<std::size_t>(n)), false});
  }
  return rc;
}

int f_truncate(sqlite3_file* file, sqlite3_int64 size) {
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g_disk->mutex);
  if (f->inode == nullptr) return f->real->pMethods->xTruncate(f->real, size);
  if (g_disk->tick()) return SQLITE_IOERR_TRUNCATE;
  const int rc = f->real->pMethods->xTruncate(f->real, size);
  if (rc == SQLITE_OK) f->inode->pending.push_back({size, {}, true});
  return rc;
}

int f_sync(sqlite3_file* file, int flags) {
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g_disk->mutex);
  if (f->inode == nullptr) return f->real->pMethods->xSync(f->real, flags);
  // The model is the disk: no real fsync is needed for what it decides survives.
  if (g_disk->tick()) return SQLITE_IOERR_FSYNC;
  FaultDisk::Impl::sync_inode(*f->inode);
  if (f->sync_dir_on_first_sync) {
    f->sync_dir_on_first_sync = false;
    if (g_disk->tick()) return SQLITE_IOERR_DIR_FSYNC;
    g_disk->sync_entries();
  }
  return SQLITE_OK;
}

int f_file_size(sqlite3_file* file, sqlite3_int64* size) {
  FaultFile* f = as_fault(file);
  if (dead(f)) return SQLITE_IOERR_FSTAT;
  return f->real->pMethods->xFileSize(f->real, size);
}

int f_lock(sqlite3_file* file, int level) {
  FaultFile* f = as_fault(file);
  if (dead(f)) return SQLITE_IOERR_LOCK;
  return f->real->pMethods->xLock(f->real, level);
}

int f_unlock(sqlite3_file* file, int level) {
  FaultFile* f = as_fault(file);
  return f->real->pMethods->xUnlock(f->real, level);
}

int f_check_reserved_lock(sqlite3_file* file, int* out) {
  FaultFile* f = as_fault(file);
  if (dead(f)) return SQLITE_IOERR_CHECKRESERVEDLOCK;
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

int f_file_control(sqlite3_file* file, int op, void* arg) {
  FaultFile* f = as_fault(file);
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int f_sector_size(sqlite3_file* file) {
  FaultFile* f = as_fault(file);
  return f->real->pMethods->xSectorSize(f->real);
}

int f_device_characteristics(sqlite3_file* file) {
  FaultFile* f = as_fault(file);
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}

// Version 1: no shared memory (no WAL) and no mmap, like the exile VFS above it.
const sqlite3_io_methods kFaultMethods = {
    1,
    f_close,
    f_read,
    f_write,
    f_truncate,
    f_sync,
    f_file_size,
    f_lock,
    f_unlock,
    f_check_reserved_lock,
    f_file_control,
    f_sector_size,
    f_device_characteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int v_open(sqlite3_vfs* /*vfs*/, sqlite3_filename name, sqlite3_file* file, int flags,
           int* out_flags) {
  FaultFile* f = as_fault(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->real->pMethods = nullptr;
  new (&f->inode) InodePtr();
  f->sync_dir_on_first_sync = false;
  std::lock_guard lock(g_disk->mutex);
  const bool tracked = name != nullptr && g_disk->tracks(fs::path(name));
  InodePtr inode;
  if (tracked) {
    if (g_disk->failed) {
      f->inode.~InodePtr();
      return SQLITE_CANTOPEN;
    }
    const std::string file_name = FaultDisk::Impl::name_of(fs::path(name));
    inode = g_disk->lookup(file_name);
    if (inode == nullptr && (flags & SQLITE_OPEN_CREATE) != 0) {
      if (g_disk->tick()) {
        f->inode.~InodePtr();
        return SQLITE_CANTOPEN;
      }
    }
    const int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
      f->inode.~InodePtr();
      return rc;
    }
    if (inode == nullptr) inode = g_disk->create(file_name);
    const int type = flags & 0x0FFF00;
    f->sync_dir_on_first_sync = (flags & SQLITE_OPEN_CREATE) != 0 &&
                                (type == SQLITE_OPEN_MAIN_JOURNAL ||
                                 type == SQLITE_OPEN_SUPER_JOURNAL || type == SQLITE_OPEN_WAL);
    f->inode = std::move(inode);
    ++g_disk->open_files;
  } else {
    const int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
      f->inode.~InodePtr();
      return rc;
    }
  }
  f->base.pMethods = &kFaultMethods;
  return SQLITE_OK;
}

int v_delete(sqlite3_vfs* /*vfs*/, const char* name, int sync_dir) {
  std::lock_guard lock(g_disk->mutex);
  if (!g_disk->tracks(fs::path(name))) return g_real->xDelete(g_real, name, sync_dir);
  const std::string file_name = FaultDisk::Impl::name_of(fs::path(name));
  if (g_disk->lookup(file_name) == nullptr) return g_real->xDelete(g_real, name, 0);
  if (g_disk->tick()) return SQLITE_IOERR_DELETE;
  const int rc = g_real->xDelete(g_real, name, 0);
  if (rc != SQLITE_OK) return rc;
  g_disk->record_remove(file_name);
  if ((sync_dir & 1) != 0) {
    if (g_disk->tick()) return SQLITE_IOERR_DIR_FSYNC;
    g_disk->sync_entries();
  }
  return SQLITE_OK;
}

int v_access(sqlite3_vfs* /*vfs*/, const char* name, int flags, int* out) {
  {
    std::lock_guard lock(g_disk->mutex);
    if (g_disk->failed && g_disk->tracks(fs::path(name))) return SQLITE_IOERR_ACCESS;
  }
  return g_real->xAccess(g_real, name, flags, out);
}

int v_full_pathname(sqlite3_vfs* /*vfs*/, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* v_dl_open(sqlite3_vfs* /*vfs*/, const char* name) { return g_real->xDlOpen(g_real, name); }
void v_dl_error(sqlite3_vfs* /*vfs*/, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*v_dl_sym(sqlite3_vfs* /*vfs*/, void* handle, const char* symbol))(void) {
  return g_real->xDlSym(g_real, handle, symbol);
}
void v_dl_close(sqlite3_vfs* /*vfs*/, void* handle) { g_real->xDlClose(g_real, handle); }
int v_randomness(sqlite3_vfs* /*vfs*/, int n, char* out) {
  return g_real->xRandomness(g_real, n, out);
}
int v_sleep(sqlite3_vfs* /*vfs*/, int micros) { return g_real->xSleep(g_real, micros); }
int v_current_time(sqlite3_vfs* /*vfs*/, double* out) { return g_real->xCurrentTime(g_real, out); }
int v_get_last_error(sqlite3_vfs* /*vfs*/, int n, char* out) {
  return g_real->xGetLastError(g_real, n, out);
}
int v_current_time_int64(sqlite3_vfs* /*vfs*/, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

}  // namespace

const char* loss_kind_name(LossKind kind) {
  switch (kind) {
    case LossKind::DropUnsynced: return "drop-unsynced";
    case LossKind::RandomSectors: return "random-sectors";
    case LossKind::TornWrite: return "torn-write";
    case LossKind::ResurrectUnlinked: return "resurrect-unlinked";
    case LossKind::DropCreated: return "drop-created";
  }
  return "?";
}

FaultDisk::FaultDisk() : impl_(std::make_unique<Impl>()) {}

FaultDisk& FaultDisk::instance() {
  static FaultDisk disk;
  return disk;
}

bool FaultDisk::install(std::string* why) {
  static std::once_flag once;
  static bool ok = false;
  static std::string failure;
  std::call_once(once, [] {
    sqlite3_initialize();
    g_disk = instance().impl_.get();
    if (sqlite3_vfs* exile = sqlite3_vfs_find(kExileVfsName); exile != nullptr) {
      failure = "the exile VFS was registered before the fault VFS";
      return;
    }
    g_real = sqlite3_vfs_find(nullptr);
    if (g_real == nullptr || g_real->iVersion < 2) {
      failure = "no default VFS of version 2";
      return;
    }
    g_fault_vfs.iVersion = 2;
    g_fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
    g_fault_vfs.mxPathname = g_real->mxPathname;
    g_fault_vfs.zName = kFaultVfsName;
    g_fault_vfs.xOpen = v_open;
    g_fault_vfs.xDelete = v_delete;
    g_fault_vfs.xAccess = v_access;
    g_fault_vfs.xFullPathname = v_full_pathname;
    g_fault_vfs.xDlOpen = v_dl_open;
    g_fault_vfs.xDlError = v_dl_error;
    g_fault_vfs.xDlSym = v_dl_sym;
    g_fault_vfs.xDlClose = v_dl_close;
    g_fault_vfs.xRandomness = v_randomness;
    g_fault_vfs.xSleep = v_sleep;
    g_fault_vfs.xCurrentTime = v_current_time;
    g_fault_vfs.xGetLastError = v_get_last_error;
    g_fault_vfs.xCurrentTimeInt64 = v_current_time_int64;
    if (sqlite3_vfs_register(&g_fault_vfs, 1) != SQLITE_OK) {
      failure = "cannot register the fault VFS";
      return;
    }
    // The exile VFS registers now, over the fault VFS.
    if (!register_exile_vfs()) {
      failure = "cannot register the exile VFS";
      return;
    }
    sqlite3_vfs* exile = sqlite3_vfs_find(kExileVfsName);
    if (exile == nullptr || exile->pAppData != &g_fault_vfs) {
      failure = "the exile VFS does not sit on the fault VFS";
      return;
    }
    set_profile_file_system_for_testing(g_disk);
    ok = true;
  });
  if (!ok && why != nullptr) *why = failure;
  return ok;
}

void FaultDisk::arm(const fs::path& dir, std::uint64_t countdown) { impl_->start(dir, countdown); }

bool FaultDisk::failed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failed;
}

std::uint64_t FaultDisk::operations() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->ops;
}

LossReport FaultDisk::power_loss(LossKind kind, std::mt19937_64& rng) {
  return impl_->lose(kind, rng);
}

void FaultDisk::disarm() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->open_files != 0) die("disarm() with files of the directory open");
  impl_->stop();
}

}  // namespace exile::store::test
