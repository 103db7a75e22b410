// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// /proc/<pid>/map_files (Linux fs/proc/base.c, proc_map_files_*) and
// /proc/sys/kernel/threads-max (kernel/fork.c, sysctl_max_threads).
//
// map_files has one symlink per mapping of a file, named "start-end" in
// lowercase hex: readlink gives the file's path (" (deleted)" once
// unlinked), following or opening it gives the mapped file itself and needs
// CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in the initial user namespace.
// Every lookup (of a cached entry too) and every read of the directory
// checks ptrace read access again with the caller's file-system
// credentials.
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "check_util.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace mqtest {
namespace {

size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

// The map_files name of [addr, addr+len): "%lx-%lx".
std::string MapName(const void* addr, size_t len) {
  char buf[64];
  uintptr_t start = reinterpret_cast<uintptr_t>(addr);
  snprintf(buf, sizeof(buf), "%lx-%lx", static_cast<unsigned long>(start),
           static_cast<unsigned long>(start + len));
  return buf;
}

std::string MapFilesDir(pid_t pid) {
  return "/proc/" + std::to_string(pid) + "/map_files";
}

std::string SelfEntry(const void* addr, size_t len) {
  return MapFilesDir(getpid()) + "/" + MapName(addr, len);
}

// readlink(path) as a string; sets *err (0 on success).
std::string ReadLink(const std::string& path, int* err) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n < 0) {
    *err = errno;
    return "";
  }
  *err = 0;
  return std::string(buf, n);
}

bool IsMapName(const std::string& s) {
  size_t dash = s.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == s.size()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    if (i == dash) continue;
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  // No padding: a number starts with 0 only if it is 0.
  return (s[0] != '0' || dash == 1) && (s[dash + 1] != '0' || dash + 2 == s.size());
}

// Reads up to n bytes from fd at offset 0.
std::string PreadString(int fd, size_t n) {
  std::string s(n, '\0');
  ssize_t got = pread(fd, &s[0], n, 0);
  s.resize(got < 0 ? 0 : got);
  return s;
}

// A file in /tmp holding contents, unlinked (if still linked) and closed at
// the end.
class TempFile {
 public:
  explicit TempFile(const std::string& contents, int flags = O_RDWR) {
    char tmpl[] = "/tmp/map_files_test_XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) return;
    path_ = tmpl;
    if (write(fd, contents.data(), contents.size()) != static_cast<ssize_t>(contents.size())) {
      close(fd);
      return;
    }
    close(fd);
    fd_ = open(path_.c_str(), flags);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void Unlink() {
    unlink(path_.c_str());
    path_.clear();
  }
  void Close() {
    close(fd_);
    fd_ = -1;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// A mapping unmapped at the end (unless released).
class Mapping {
 public:
  Mapping(void* addr, size_t len) : addr_(addr), len_(len) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (ok()) munmap(addr_, len_);
  }
  bool ok() const { return addr_ != MAP_FAILED && addr_ != nullptr; }
  void* addr() const { return addr_; }
  char* ptr() const { return static_cast<char*>(addr_); }
  size_t len() const { return len_; }
  void Reset(void* addr, size_t len) {
    addr_ = addr;
    len_ = len;
  }

 private:
  void* addr_;
  size_t len_;
};

std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>(seed + i % 23);
  return s;
}

// A TempFile of len bytes, Pattern(len, seed), and a mapping of all of it.
struct MappedFile {
  MappedFile(size_t len, char seed, int prot, int flags)
      : contents(Pattern(len, seed)),
        file(contents),
        map(file.fd() < 0 ? MAP_FAILED : mmap(nullptr, len, prot, flags, file.fd(), 0), len) {}
  bool ok() const { return file.fd() >= 0 && map.ok(); }

  const std::string contents;
  TempFile file;
  Mapping map;
};

bool CanFollow() {
  return HaveCapability(CAP_SYS_ADMIN) || HaveCapability(40 /* CAP_CHECKPOINT_RESTORE */);
}

#define SKIP_UNLESS_CAN_FOLLOW() \
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_ADMIN, "following map_files needs CAP_SYS_ADMIN")

TEST(MapFilesTest, EntryPerFileMappingNamedByRange) {
  const size_t page = PageSize();
  TempFile f(Pattern(2 * page, 'a'));
  ASSERT_GE(f.fd(), 0) << strerror(errno);
  Mapping m(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd(), 0), 2 * page);
  ASSERT_TRUE(m.ok()) << strerror(errno);
  // A length no other case maps: Linux's revalidation of a cached entry
  // only asks for a mapping with the same bounds, file or not.
  const size_t anon_len = 7 * page;
  Mapping anon(mmap(nullptr, anon_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
               anon_len);
  ASSERT_TRUE(anon.ok()) << strerror(errno);

  int err = 0;
  std::set<std::string> names = ListDir(MapFilesDir(getpid()), &err);
  ASSERT_EQ(err, 0) << strerror(err);
  EXPECT_EQ(names.count(MapName(m.addr(), 2 * page)), 1u);
  // Anonymous private memory has no entry.
  EXPECT_EQ(names.count(MapName(anon.addr(), anon_len)), 0u);
  for (const std::string& n : names) EXPECT_TRUE(IsMapName(n)) << n;

  MaybeSave();
  std::string entry = SelfEntry(m.addr(), 2 * page);
  struct stat st;
  ASSERT_EQ(lstat(entry.c_str(), &st), 0) << strerror(errno);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_size, 64);
  EXPECT_EQ(ReadLink(entry, &err), f.path());
  EXPECT_EQ(err, 0) << strerror(err);
  EXPECT_ERRNO(lstat(SelfEntry(anon.addr(), anon_len).c_str(), &st), ENOENT);

  // The directory itself: dr-x------, the task's.
  ASSERT_EQ(lstat(MapFilesDir(getpid()).c_str(), &st), 0) << strerror(errno);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0500u);
  EXPECT_EQ(st.st_uid, geteuid());
}

// An open map_files directory is read after a save and restore.
TEST(MapFilesTest, OpenDirectoryAcrossSave) {
  const size_t page = PageSize();
  MappedFile mf(page, 'd', PROT_READ, MAP_SHARED);
  ASSERT_TRUE(mf.ok()) << strerror(errno);
  DIR* dir = opendir(MapFilesDir(getpid()).c_str());
  ASSERT_NE(dir, nullptr) << strerror(errno);
  MaybeSave();
  std::set<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* de = readdir(dir);
    if (de == nullptr) break;
    EXPECT_TRUE(de->d_type == DT_LNK || de->d_name[0] == '.') << de->d_name;
    names.insert(de->d_name);
  }
  EXPECT_EQ(errno, 0) << strerror(errno);
  closedir(dir);
  EXPECT_EQ(names.count("."), 1u);
  EXPECT_EQ(names.count(".."), 1u);
  EXPECT_EQ(names.count(MapName(mf.map.addr(), page)), 1u);
}

TEST(MapFilesTest, LinkModeFollowsTheFilesOpenMode) {
  const size_t page = PageSize();
  // Lengths no other case maps: Linux keeps the mode an entry's name got
  // when it was first looked up for as long as the name stays cached.
  const size_t ro_len = 5 * page, rw_len = 6 * page;
  TempFile ro(Pattern(ro_len, 'r'), O_RDONLY);
  TempFile rw(Pattern(rw_len, 'w'), O_RDWR);
  ASSERT_GE(ro.fd(), 0);
  ASSERT_GE(rw.fd(), 0);
  Mapping a(mmap(nullptr, ro_len, PROT_READ, MAP_PRIVATE, ro.fd(), 0), ro_len);
  Mapping b(mmap(nullptr, rw_len, PROT_READ, MAP_PRIVATE, rw.fd(), 0), rw_len);
  ASSERT_TRUE(a.ok() && b.ok()) << strerror(errno);
  MaybeSave();
  struct stat st;
  ASSERT_EQ(lstat(SelfEntry(a.addr(), ro_len).c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  ASSERT_EQ(lstat(SelfEntry(b.addr(), rw_len).c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

// The scenario: map a file, unlink it, read it back through
// map_files.
TEST(MapFilesTest, UnlinkedFileReadBackThroughEntry) {
  SKIP_UNLESS_CAN_FOLLOW();
  const size_t page = PageSize();
  const std::string contents = Pattern(3 * page, 'u');
  TempFile f(contents);
  ASSERT_GE(f.fd(), 0);
  Mapping m(mmap(nullptr, 3 * page, PROT_READ, MAP_PRIVATE, f.fd(), 0), 3 * page);
  ASSERT_TRUE(m.ok()) << strerror(errno);
  const std::string path = f.path();
  f.Close();
  f.Unlink();

  std::string entry = SelfEntry(m.addr(), 3 * page);
  int err = 0;
  EXPECT_EQ(ReadLink(entry, &err), path + " (deleted)");
  EXPECT_EQ(err, 0) << strerror(err);
  MaybeSave();
  EXPECT_EQ(ReadLink(entry, &err), path + " (deleted)");

  ScopedFd fd(open(entry.c_str(), O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(PreadString(fd.get(), contents.size() + 1), contents);
  // The descriptor opened through the entry survives a save too.
  MaybeSave();
  EXPECT_EQ(PreadString(fd.get(), contents.size() + 1), contents);
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(contents.size()));
  // stat follows the link to the file too.
  struct stat st2;
  ASSERT_EQ(stat(entry.c_str(), &st2), 0) << strerror(errno);
  EXPECT_EQ(st2.st_ino, st.st_ino);
  EXPECT_EQ(st2.st_dev, st.st_dev);
}

TEST(MapFilesTest, OpenGivesTheMappedFileItself) {
  SKIP_UNLESS_CAN_FOLLOW();
  const size_t page = PageSize();
  MappedFile mf(page, 'o', PROT_READ | PROT_WRITE, MAP_SHARED);
  ASSERT_TRUE(mf.ok()) << strerror(errno);
  std::string entry = SelfEntry(mf.map.addr(), page);
  ScopedFd fd(open(entry.c_str(), O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  struct stat a, b;
  ASSERT_EQ(fstat(fd.get(), &a), 0);
  ASSERT_EQ(fstat(mf.file.fd(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_dev, b.st_dev);
  // A write through the opened entry shows in the shared mapping.
  ASSERT_EQ(pwrite(fd.get(), "XYZ", 3, 10), 3) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(std::string(mf.map.ptr() + 10, 3), "XYZ");
}

TEST(MapFilesTest, MemfdEntry) {
  const size_t page = PageSize();
  int mfd = static_cast<int>(syscall(SYS_memfd_create, "map_files_memfd", 0));
  ASSERT_GE(mfd, 0) << strerror(errno);
  ScopedFd memfd(mfd);
  const std::string contents = Pattern(page, 'm');
  ASSERT_EQ(pwrite(mfd, contents.data(), contents.size(), 0), static_cast<ssize_t>(contents.size()));
  Mapping m(mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0), page);
  ASSERT_TRUE(m.ok()) << strerror(errno);
  close(memfd.release());

  std::string entry = SelfEntry(m.addr(), page);
  int err = 0;
  EXPECT_EQ(ReadLink(entry, &err), "/memfd:map_files_memfd (deleted)");
  EXPECT_EQ(err, 0) << strerror(err);
  m.ptr()[0] = '!';
  MaybeSave();
  EXPECT_EQ(ReadLink(entry, &err), "/memfd:map_files_memfd (deleted)");
  if (!CanFollow()) GTEST_SKIP() << "opening map_files needs CAP_SYS_ADMIN";
  ScopedFd fd(open(entry.c_str(), O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(PreadString(fd.get(), page), "!" + contents.substr(1));
}

TEST(MapFilesTest, SharedAnonymousEntry) {
  const size_t page = PageSize();
  Mapping shared(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
                 2 * page);
  ASSERT_TRUE(shared.ok()) << strerror(errno);
  memcpy(shared.ptr(), "shared anon", 11);
  std::string entry = SelfEntry(shared.addr(), 2 * page);
  int err = 0;
  EXPECT_EQ(ReadLink(entry, &err), "/dev/zero (deleted)");
  EXPECT_EQ(err, 0) << strerror(err);
  MaybeSave();
  std::set<std::string> names = ListDir(MapFilesDir(getpid()), &err);
  EXPECT_EQ(names.count(MapName(shared.addr(), 2 * page)), 1u);
  if (!CanFollow()) GTEST_SKIP() << "opening map_files needs CAP_SYS_ADMIN";
  ScopedFd fd(open(entry.c_str(), O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(PreadString(fd.get(), 11), "shared anon");
}

TEST(MapFilesTest, EntriesFollowMunmapAndMremap) {
  const size_t page = PageSize();
  TempFile f(Pattern(4 * page, 'x'));
  ASSERT_GE(f.fd(), 0);
  Mapping m(mmap(nullptr, 4 * page, PROT_READ, MAP_SHARED, f.fd(), 0), 4 * page);
  ASSERT_TRUE(m.ok()) << strerror(errno);
  struct stat st;
  std::string whole = SelfEntry(m.addr(), 4 * page);
  ASSERT_EQ(lstat(whole.c_str(), &st), 0) << strerror(errno);

  // munmap of the last page: the entry takes the new bounds.
  ASSERT_EQ(munmap(m.ptr() + 3 * page, page), 0);
  m.Reset(m.addr(), 3 * page);
  EXPECT_ERRNO(lstat(whole.c_str(), &st), ENOENT);
  std::string shorter = SelfEntry(m.addr(), 3 * page);
  EXPECT_EQ(lstat(shorter.c_str(), &st), 0) << strerror(errno);
  MaybeSave();
  EXPECT_EQ(lstat(shorter.c_str(), &st), 0) << strerror(errno);
  // A range inside a mapping, or overlapping it, is no entry.
  EXPECT_ERRNO(lstat(SelfEntry(m.addr(), page).c_str(), &st), ENOENT);
  EXPECT_ERRNO(lstat(SelfEntry(m.ptr() + page, 2 * page).c_str(), &st), ENOENT);

  // mremap to another place: the old name goes, the new one comes.
  Mapping target(mmap(nullptr, 3 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 3 * page);
  ASSERT_TRUE(target.ok());
  void* moved = mremap(m.addr(), 3 * page, 3 * page, MREMAP_MAYMOVE | MREMAP_FIXED, target.addr());
  ASSERT_EQ(moved, target.addr()) << strerror(errno);
  m.Reset(nullptr, 0);
  EXPECT_ERRNO(lstat(shorter.c_str(), &st), ENOENT);
  std::string there = SelfEntry(moved, 3 * page);
  EXPECT_EQ(lstat(there.c_str(), &st), 0) << strerror(errno);
  int err = 0;
  EXPECT_EQ(ReadLink(there, &err), f.path());
  std::set<std::string> names = ListDir(MapFilesDir(getpid()), &err);
  EXPECT_EQ(names.count(MapName(moved, 3 * page)), 1u);
  EXPECT_EQ(names.count(MapName(m.addr(), 3 * page)), 0u);

  // munmap of the whole mapping: no entry left.
  ASSERT_EQ(munmap(moved, 3 * page), 0);
  target.Reset(nullptr, 0);
  MaybeSave();
  EXPECT_ERRNO(lstat(there.c_str(), &st), ENOENT);
  names = ListDir(MapFilesDir(getpid()), &err);
  EXPECT_EQ(names.count(MapName(moved, 3 * page)), 0u);
}

TEST(MapFilesTest, LookupParsesNamesAsLinux) {
  const size_t page = PageSize();
  MappedFile mf(page, 'n', PROT_READ, MAP_PRIVATE);
  ASSERT_TRUE(mf.ok()) << strerror(errno);
  const std::string dir = MapFilesDir(getpid()) + "/";
  std::string name = MapName(mf.map.addr(), page);
  struct stat st;
  // Linux parses the hex digits of either case.
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  ASSERT_NE(upper, name);
  EXPECT_EQ(lstat((dir + upper).c_str(), &st), 0) << strerror(errno);
  // Leading zeros, other separators, trailing characters: no entry.
  EXPECT_ERRNO(lstat((dir + "0" + name).c_str(), &st), ENOENT);
  size_t dash = name.find('-');
  EXPECT_ERRNO(lstat((dir + name.substr(0, dash + 1) + "0" + name.substr(dash + 1)).c_str(), &st),
               ENOENT);
  EXPECT_ERRNO(lstat((dir + name + "x").c_str(), &st), ENOENT);
  EXPECT_ERRNO(lstat((dir + name.substr(0, dash) + "_" + name.substr(dash + 1)).c_str(), &st),
               ENOENT);
  EXPECT_ERRNO(lstat((dir + "map").c_str(), &st), ENOENT);
  EXPECT_ERRNO(lstat((dir + "0x" + name).c_str(), &st), ENOENT);
}

// Another process's map_files, read by its parent.
TEST(MapFilesTest, OtherProcess) {
  const size_t page = PageSize();
  const std::string contents = Pattern(page, 'p');
  TempFile f(contents);
  ASSERT_GE(f.fd(), 0);
  int ready[2], go[2];
  pid_t pid = ForkWithHandshake(ready, go);
  ASSERT_GE(pid, 0) << strerror(errno);
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    void* addr = mmap(nullptr, page, PROT_READ, MAP_SHARED, f.fd(), 0);
    CHILD_CHECK(addr != MAP_FAILED);
    CHILD_CHECK(write(ready[1], &addr, sizeof(addr)) == sizeof(addr));
    char c;
    CHILD_CHECK(read(go[0], &c, 1) == 1);
    _exit(0);
  }
  close(ready[1]);
  close(go[0]);
  void* addr = nullptr;
  ASSERT_EQ(read(ready[0], &addr, sizeof(addr)), static_cast<ssize_t>(sizeof(addr)));
  MaybeSave();
  int err = 0;
  std::set<std::string> names = ListDir(MapFilesDir(pid), &err);
  EXPECT_EQ(err, 0) << strerror(err);
  EXPECT_EQ(names.count(MapName(addr, page)), 1u);
  std::string entry = MapFilesDir(pid) + "/" + MapName(addr, page);
  EXPECT_EQ(ReadLink(entry, &err), f.path());
  if (CanFollow()) {
    ScopedFd fd(open(entry.c_str(), O_RDONLY));
    EXPECT_GE(fd.get(), 0) << strerror(errno);
    if (fd.get() >= 0) {
      EXPECT_EQ(PreadString(fd.get(), page), contents);
    }
  }
  ASSERT_EQ(write(go[1], "g", 1), 1);
  ASSERT_WAIT_CHILD_OK(pid);
  close(ready[0]);
  close(go[1]);
  // The process is gone: so is its directory.
  struct stat st;
  EXPECT_ERRNO(lstat(entry.c_str(), &st), ENOENT);
}

// /proc/<tid> of a thread other than the leader has map_files (the process's
// address space); /proc/<pid>/task/<tid> has none, as in Linux.
TEST(MapFilesTest, ThreadDirectories) {
  const size_t page = PageSize();
  MappedFile mf(page, 't', PROT_READ, MAP_PRIVATE);
  ASSERT_TRUE(mf.ok()) << strerror(errno);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::atomic<pid_t> tid{0};
  std::thread th([&] {
    tid = GetTid();
    char c;
    (void)!read(p[0], &c, 1);
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  MaybeSave();
  std::string name = MapName(mf.map.addr(), page);
  int err = 0;
  EXPECT_EQ(ReadLink("/proc/" + std::to_string(tid.load()) + "/map_files/" + name, &err), mf.file.path());
  EXPECT_EQ(err, 0) << strerror(err);
  struct stat st;
  EXPECT_ERRNO(lstat(("/proc/self/task/" + std::to_string(tid.load()) + "/map_files").c_str(), &st),
               ENOENT);
  EXPECT_ERRNO(lstat(("/proc/self/task/" + std::to_string(getpid()) + "/map_files").c_str(), &st),
               ENOENT);
  ASSERT_EQ(write(p[1], "x", 1), 1);
  th.join();
  close(p[0]);
  close(p[1]);
}

// An unprivileged process: readlink of its own entries works (ptrace read
// access to itself), following or opening them is EPERM; another user's
// process's map_files cannot be listed or read (EACCES).
TEST(MapFilesTest, UnprivilegedReadsLinksButCannotOpen) {
  SKIP_WITHOUT_CAPABILITY(CAP_SETUID, "needs CAP_SETUID to become nobody");
  const size_t page = PageSize();
  TempFile f(Pattern(page, 'q'));
  ASSERT_GE(f.fd(), 0);
  Mapping mine(mmap(nullptr, page, PROT_READ, MAP_PRIVATE, f.fd(), 0), page);
  ASSERT_TRUE(mine.ok()) << strerror(errno);
  const pid_t parent = getpid();
  const std::string parent_entry = SelfEntry(mine.addr(), page);
  const std::string path = f.path();
  MaybeSave();
  EXPECT_CHILD_OK([&] {
    void* addr = mmap(nullptr, page, PROT_READ, MAP_PRIVATE, f.fd(), 0);
    CHILD_CHECK(addr != MAP_FAILED);
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    std::string entry = MapFilesDir(getpid()) + "/" + MapName(addr, page);
    int err = 0;
    std::string target = ReadLink(entry, &err);
    CHILD_CHECK(err == 0);
    CHILD_CHECK(target == path);
    std::set<std::string> names = ListDir(MapFilesDir(getpid()), &err);
    CHILD_CHECK(err == 0);
    CHILD_CHECK(names.count(MapName(addr, page)) == 1);
    CHILD_CHECK_ERRNO(open(entry.c_str(), O_RDONLY), EPERM);
    struct stat st;
    CHILD_CHECK_ERRNO(stat(entry.c_str(), &st), EPERM);
    CHILD_CHECK(lstat(entry.c_str(), &st) == 0);
    // The root-owned parent's directory: no access.
    ListDir(MapFilesDir(parent), &err);
    CHILD_CHECK(err == EACCES);
    ReadLink(parent_entry, &err);
    CHILD_CHECK(err == EACCES);
  });
}

// In a forked child of a root test: enters a new user namespace mapping
// uid and gid 0 to themselves. The child keeps the test's uid and may search
// its map_files directory (root's, 0500), but its capabilities are the new
// namespace's: Linux's ptrace_may_access refuses it read access to the test.
void ChildBecomeUserNamespaceRoot() {
  if (unshare(CLONE_NEWUSER) != 0) CHILD_SKIP("no user namespaces");
  CHILD_CHECK(WriteProcFile("/proc/self/setgroups", "deny"));
  CHILD_CHECK(WriteProcFile("/proc/self/uid_map", "0 0 1"));
  CHILD_CHECK(WriteProcFile("/proc/self/gid_map", "0 0 1"));
}

// The names getdents64 gives from directory fd's current offset, one call
// at a time, until the end (*err 0) or an error (*err the errno).
std::vector<std::vector<std::string>> Getdents(int fd, int* err) {
  std::vector<std::vector<std::string>> calls;
  alignas(8) char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
    if (n <= 0) {
      *err = n == 0 ? 0 : errno;
      return calls;
    }
    std::vector<std::string> names;
    for (long off = 0; off < n;) {
      struct dirent64* de = reinterpret_cast<struct dirent64*>(buf + off);
      names.push_back(de->d_name);
      off += de->d_reclen;
    }
    calls.push_back(names);
  }
}

// In a child without ptrace read access to the task of map_files directory
// fd: as in Linux's proc_map_files_readdir, which checks on every read, the
// first getdents gives "." and ".." and the next one fails with EACCES,
// as does one from past the dots.
void ChildCheckDotsThenEacces(int fd) {
  CHILD_CHECK_OK(lseek(fd, 0, SEEK_SET));
  int err = 0;
  std::vector<std::vector<std::string>> calls = Getdents(fd, &err);
  CHILD_CHECK(err == EACCES);
  CHILD_CHECK(calls.size() == 1);
  CHILD_CHECK((calls[0] == std::vector<std::string>{".", ".."}));
  CHILD_CHECK_OK(lseek(fd, 2, SEEK_SET));
  calls = Getdents(fd, &err);
  CHILD_CHECK(err == EACCES);
  CHILD_CHECK(calls.empty());
}

// Linux checks an entry again on every lookup (map_files_d_revalidate, then
// proc_map_files_lookup): an entry the test has looked up, and so may be
// cached, is refused like one it never looked up to a process with the
// test's uid but no ptrace read access to it; the refusal must not tell
// the entry's mode.
TEST(MapFilesTest, CachedEntryCheckedAgainForEachCaller) {
  if (geteuid() != 0) GTEST_SKIP() << "maps uid 0 to itself in a user namespace";
  const size_t page = PageSize();
  // Lengths no other case maps, so that no other case caches these names.
  MappedFile looked(9 * page, 'c', PROT_READ, MAP_SHARED);
  MappedFile never(10 * page, 'v', PROT_READ, MAP_SHARED);
  ASSERT_TRUE(looked.ok() && never.ok()) << strerror(errno);
  const std::string dir = MapFilesDir(getpid());
  const std::string name = MapName(looked.map.addr(), 9 * page);
  const std::string entry = dir + "/" + name;
  const std::string uncached = SelfEntry(never.map.addr(), 10 * page);
  struct stat st;
  ASSERT_EQ(lstat(entry.c_str(), &st), 0) << strerror(errno);
  int err = 0;
  ASSERT_EQ(ReadLink(entry, &err), looked.file.path());
  ScopedFd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_GE(dirfd.get(), 0) << strerror(errno);
  ScopedFd linkfd(open(entry.c_str(), O_PATH | O_NOFOLLOW));
  ASSERT_GE(linkfd.get(), 0) << strerror(errno);
  MaybeSave();
  ASSERT_CHILD_OK_OR_SKIP([&] {
    ChildBecomeUserNamespaceRoot();
    struct stat cst;
    // readlink through a descriptor of the entry, which walks to nothing,
    // is checked too; fstat, as in Linux, is not.
    char buf[256];
    CHILD_CHECK_ERRNO(readlinkat(linkfd.get(), "", buf, sizeof(buf)), EACCES);
    CHILD_CHECK_OK(fstat(linkfd.get(), &cst));
    CHILD_CHECK_ERRNO(lstat(entry.c_str(), &cst), EACCES);
    CHILD_CHECK_ERRNO(lstat(uncached.c_str(), &cst), EACCES);
    CHILD_CHECK_ERRNO(stat(entry.c_str(), &cst), EACCES);
    int e = 0;
    ReadLink(entry, &e);
    CHILD_CHECK(e == EACCES);
    CHILD_CHECK_ERRNO(open(entry.c_str(), O_RDONLY), EACCES);
    CHILD_CHECK_ERRNO(open(entry.c_str(), O_PATH | O_NOFOLLOW), EACCES);
    CHILD_CHECK_ERRNO(fstatat(dirfd.get(), name.c_str(), &cst, AT_SYMLINK_NOFOLLOW), EACCES);
    // A name that is no mapping's is ENOENT before any access check.
    CHILD_CHECK_ERRNO(lstat((dir + "/map").c_str(), &cst), ENOENT);
    // The directory is searchable (uid 0 is mapped) but not listable.
    CHILD_CHECK(lstat(dir.c_str(), &cst) == 0);
    ScopedFd mine(open(dir.c_str(), O_RDONLY | O_DIRECTORY));
    CHILD_CHECK(mine.get() >= 0);
    ChildCheckDotsThenEacces(mine.get());
    ChildCheckDotsThenEacces(dirfd.get());
  });
  // The test itself still has the entry, cached or not.
  EXPECT_EQ(lstat(entry.c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_mode & 07777, 0600u);  // the mapped file is open O_RDWR
  EXPECT_EQ(lstat(uncached.c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(ReadLink(entry, &err), looked.file.path());
}

// A map_files directory descriptor the test opened, used by a process that
// has since lost ptrace read access to the test (it dropped root, or only
// its effective uid) or that never had it (it got the descriptor through
// SCM_RIGHTS): each read is checked again.
TEST(MapFilesTest, DirectoryDescriptorCheckedOnEachRead) {
  SKIP_WITHOUT_CAPABILITY(CAP_SETUID, "needs CAP_SETUID to become nobody");
  const size_t page = PageSize();
  MappedFile mf(page, 'g', PROT_READ, MAP_SHARED);
  ASSERT_TRUE(mf.ok()) << strerror(errno);
  ScopedFd dirfd(open(MapFilesDir(getpid()).c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_GE(dirfd.get(), 0) << strerror(errno);
  int err = 0;
  std::vector<std::vector<std::string>> calls = Getdents(dirfd.get(), &err);
  ASSERT_EQ(err, 0) << strerror(err);
  std::set<std::string> names;
  for (const auto& c : calls) names.insert(c.begin(), c.end());
  EXPECT_EQ(names.count(MapName(mf.map.addr(), page)), 1u);
  MaybeSave();
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    ChildCheckDotsThenEacces(dirfd.get());
  });
  // Linux checks with the caller's file-system credentials
  // (PTRACE_MODE_FSCREDS): a process that keeps root as its real uid but
  // acts as nobody is refused too.
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK_OK(syscall(SYS_setresuid, -1, kNobody, -1));
    CHILD_CHECK(getuid() == 0 && geteuid() == kNobody);
    ChildCheckDotsThenEacces(dirfd.get());
  });

  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0) << strerror(errno);
  ScopedFd ours(sv[0]), theirs(sv[1]);
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    // Not the test's descriptor: only the one that comes through the socket.
    close(dirfd.release());
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    std::vector<int> got = RecvFds(theirs.get(), 1);
    int fd = got.empty() ? -1 : got[0];
    CHILD_CHECK(fd >= 0);
    ChildCheckDotsThenEacces(fd);
    _exit(0);
  }
  ASSERT_GE(pid, 0) << strerror(errno);
  EXPECT_TRUE(SendFds(ours.get(), {dirfd.get()})) << strerror(errno);
  ASSERT_WAIT_CHILD_OK(pid);
  // The test's own reads go on.
  ASSERT_EQ(lseek(dirfd.get(), 0, SEEK_SET), 0);
  calls = Getdents(dirfd.get(), &err);
  EXPECT_EQ(err, 0) << strerror(err);
  EXPECT_GE(calls.size(), 1u);
}

// A zombie has no address space: Linux's lookup of every well-formed entry
// name, cached or not, fails with ESRCH, and the directory lists only "."
// and "..". Once the zombie is reaped an open directory descriptor gives
// ENOENT; "." still opens, but ".." (/proc/PID) is ESRCH
// (proc_pid_permission).
TEST(MapFilesTest, ZombieAndReapedProcess) {
  const size_t page = PageSize();
  TempFile f(Pattern(page, 'z'));
  ASSERT_GE(f.fd(), 0);
  int ready[2], go[2];
  pid_t pid = ForkWithHandshake(ready, go);
  ASSERT_GE(pid, 0) << strerror(errno);
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    // Lengths no other case maps.
    void* addrs[2] = {mmap(nullptr, 11 * page, PROT_READ, MAP_SHARED, f.fd(), 0),
                      mmap(nullptr, 12 * page, PROT_READ, MAP_SHARED, f.fd(), 0)};
    CHILD_CHECK(addrs[0] != MAP_FAILED && addrs[1] != MAP_FAILED);
    CHILD_CHECK(write(ready[1], addrs, sizeof(addrs)) == sizeof(addrs));
    char c;
    CHILD_CHECK(read(go[0], &c, 1) == 1);
    _exit(0);
  }
  close(ready[1]);
  close(go[0]);
  void* addrs[2] = {};
  ASSERT_EQ(read(ready[0], addrs, sizeof(addrs)), static_cast<ssize_t>(sizeof(addrs)));
  close(ready[0]);
  const std::string dir = MapFilesDir(pid);
  const std::string name = MapName(addrs[0], 11 * page);
  const std::string entry = dir + "/" + name;
  const std::string uncached = dir + "/" + MapName(addrs[1], 12 * page);
  struct stat st;
  EXPECT_EQ(lstat(entry.c_str(), &st), 0) << strerror(errno);
  ScopedFd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_GE(dirfd.get(), 0) << strerror(errno);
  ScopedFd linkfd(open(entry.c_str(), O_PATH | O_NOFOLLOW));
  EXPECT_GE(linkfd.get(), 0) << strerror(errno);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  close(go[1]);
  siginfo_t info = {};
  ASSERT_EQ(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0) << strerror(errno);
  MaybeSave();

  EXPECT_ERRNO(lstat(entry.c_str(), &st), ESRCH);
  EXPECT_ERRNO(lstat(uncached.c_str(), &st), ESRCH);
  EXPECT_ERRNO(lstat((dir + "/map").c_str(), &st), ENOENT);
  int err = 0;
  ReadLink(entry, &err);
  EXPECT_EQ(err, ESRCH);
  EXPECT_ERRNO(open(entry.c_str(), O_RDONLY), ESRCH);
  EXPECT_ERRNO(fstatat(dirfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW), ESRCH);
  char buf[256];
  EXPECT_ERRNO(readlinkat(linkfd.get(), "", buf, sizeof(buf)), ENOENT);
  EXPECT_EQ(lstat(dir.c_str(), &st), 0) << strerror(errno);
  ASSERT_EQ(lseek(dirfd.get(), 0, SEEK_SET), 0);
  std::vector<std::vector<std::string>> calls = Getdents(dirfd.get(), &err);
  EXPECT_EQ(err, 0) << strerror(err);
  std::vector<std::string> all;
  for (const auto& c : calls) all.insert(all.end(), c.begin(), c.end());
  EXPECT_EQ(all, (std::vector<std::string>{".", ".."}));

  ASSERT_WAIT_CHILD_OK(pid);
  MaybeSave();
  ASSERT_EQ(lseek(dirfd.get(), 0, SEEK_SET), 0);
  calls = Getdents(dirfd.get(), &err);
  EXPECT_EQ(err, ENOENT);
  EXPECT_TRUE(calls.empty());
  EXPECT_ERRNO(fstatat(dirfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW), ENOENT);
  EXPECT_ERRNO(readlinkat(linkfd.get(), "", buf, sizeof(buf)), ENOENT);
  ScopedFd dot(openat(dirfd.get(), ".", O_RDONLY | O_DIRECTORY));
  EXPECT_GE(dot.get(), 0) << strerror(errno);
  EXPECT_ERRNO(openat(dirfd.get(), "..", O_RDONLY | O_DIRECTORY), ESRCH);
  EXPECT_EQ(fstatat(dirfd.get(), "..", &st, 0), 0) << strerror(errno);
}

// threads-max: readable by anyone, a value within Linux's bounds.
TEST(ThreadsMaxTest, Readable) {
  long v = ReadLongFile("/proc/sys/kernel/threads-max");
  EXPECT_GE(v, 1);
  EXPECT_LE(v, 0x3fffffff);
  MaybeSave();
  EXPECT_EQ(ReadLongFile("/proc/sys/kernel/threads-max"), v);
  struct stat st;
  ASSERT_EQ(stat("/proc/sys/kernel/threads-max", &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_uid, 0u);
  SKIP_WITHOUT_CAPABILITY(CAP_SETUID, "needs CAP_SETUID to become nobody");
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(BecomeUser(kNobody, kNogroup));
    CHILD_CHECK(ReadLongFile("/proc/sys/kernel/threads-max") >= 1);
    CHILD_CHECK(WriteLongFile("/proc/sys/kernel/threads-max", 100) == EACCES);
  });
}

// Writes: 1 to FUTEX_TID_MASK (0x3fffffff), EINVAL outside, nothing
// changed by a rejected write.
TEST(ThreadsMaxTest, WriteRangeChecks) {
  SKIP_WITHOUT_CAPABILITY(CAP_SYS_ADMIN, "writes /proc/sys as root");
  if (geteuid() != 0) GTEST_SKIP() << "writing /proc/sys/kernel/threads-max needs root";
  const std::string path = "/proc/sys/kernel/threads-max";
  const long v = ReadLongFile(path);
  ASSERT_GE(v, 2);
  EXPECT_EQ(WriteLongFile(path, 0), EINVAL);
  EXPECT_EQ(WriteLongFile(path, -1), EINVAL);
  EXPECT_EQ(WriteLongFile(path, 0x40000000L), EINVAL);
  EXPECT_EQ(ReadLongFile(path), v);
  // A new value within the range is kept, across a save too; then the old
  // value is put back.
  ASSERT_EQ(WriteLongFile(path, v - 1), 0);
  MaybeSave();
  EXPECT_EQ(ReadLongFile(path), v - 1);
  ASSERT_EQ(WriteLongFile(path, v), 0);
  EXPECT_EQ(ReadLongFile(path), v);
}

}  // namespace
}  // namespace mqtest
