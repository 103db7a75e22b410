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

// kcmp(2): compare kernel objects of two processes. glibc has no wrapper, so
// every call goes through syscall(SYS_kcmp, ...). Children report through
// their exit status (CHILD_CHECK* from test_util.h, or a non-zero return
// from a clone function naming the failed check).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "gtest/gtest.h"
#include "kcmp_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

pid_t Self() { return getpid(); }

// A child that blocks until the returned object is destroyed, so its
// resources can be compared while it lives.
class Sleeper {
 public:
  Sleeper() {
    if (pipe2(p_, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(p_[1]);
      char c;
      while (read(p_[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    close(p_[0]);
  }
  ~Sleeper() {
    close(p_[1]);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  int p_[2] = {-1, -1};
  pid_t pid_ = -1;
};

// A forked child that has exited but is not yet reaped.
pid_t MakeZombie() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid < 0) return -1;
  siginfo_t info;
  if (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0) return -1;
  return pid;
}

// ---------------------------------------------------------------------------
// KCMP_FILE

TEST(KcmpTest, SameFdEqual) {
  SKIP_IF_NO_KCMP();
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  EXPECT_EQ(Kcmp(Self(), Self(), KCMP_FILE, fd.get(), fd.get()), 0);
}

TEST(KcmpTest, DupEqual) {
  SKIP_IF_NO_KCMP();
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  ScopedFd d(dup(fd.get()));
  ASSERT_GE(d.get(), 0);
  ScopedFd d2(fcntl(fd.get(), F_DUPFD_CLOEXEC, 100));
  ASSERT_GE(d2.get(), 0);
  EXPECT_EQ(Kcmp(Self(), Self(), KCMP_FILE, fd.get(), d.get()), 0);
  EXPECT_EQ(Kcmp(Self(), Self(), KCMP_FILE, d2.get(), fd.get()), 0);
}

TEST(KcmpTest, SeparateOpensOfOneFileDiffer) {
  SKIP_IF_NO_KCMP();
  ScopedFd a(open("/dev/null", O_RDONLY));
  ScopedFd b(open("/dev/null", O_RDONLY));
  ASSERT_GE(a.get(), 0);
  ASSERT_GE(b.get(), 0);
  long ab = Kcmp(Self(), Self(), KCMP_FILE, a.get(), b.get());
  long ba = Kcmp(Self(), Self(), KCMP_FILE, b.get(), a.get());
  EXPECT_TRUE(ab == 1 || ab == 2) << ab;
  EXPECT_EQ(ab + ba, 3) << ab << " " << ba;
}

// Linux reads the indices as unsigned int: the upper half of the argument
// is ignored.
TEST(KcmpTest, FileIndexIsUnsignedInt) {
  SKIP_IF_NO_KCMP();
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  unsigned long high = (1UL << 32) | (unsigned long)fd.get();
  EXPECT_EQ(Kcmp(Self(), Self(), KCMP_FILE, high, fd.get()), 0);
  EXPECT_ERRNO(Kcmp(Self(), Self(), KCMP_FILE, 0xffffffffUL, fd.get()),
               EBADF);
}

TEST(KcmpTest, OPathFileCompares) {
  SKIP_IF_NO_KCMP();
  ScopedFd fd(open("/dev/null", O_PATH));
  ASSERT_GE(fd.get(), 0);
  ScopedFd d(dup(fd.get()));
  ASSERT_GE(d.get(), 0);
  EXPECT_EQ(Kcmp(Self(), Self(), KCMP_FILE, fd.get(), d.get()), 0);
}

TEST(KcmpTest, ForkInheritedFileEqual) {
  SKIP_IF_NO_KCMP();
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  ScopedFd other(open("/dev/null", O_RDONLY));
  ASSERT_GE(other.get(), 0);
  int f = fd.get(), o = other.get();
  EXPECT_CHILD_OK([&] {
    pid_t parent = getppid(), self = getpid();
    CHILD_CHECK(Kcmp(parent, self, KCMP_FILE, f, f) == 0);
    CHILD_CHECK(Kcmp(self, parent, KCMP_FILE, f, f) == 0);
    long r = Kcmp(parent, self, KCMP_FILE, f, o);
    CHILD_CHECK(r == 1 || r == 2);
    // A file the child opens itself is new.
    int mine = open("/dev/null", O_RDONLY);
    CHILD_CHECK(mine >= 0);
    r = Kcmp(self, parent, KCMP_FILE, mine, f);
    CHILD_CHECK(r == 1 || r == 2);
  });
  // The parent sees the same through a live child.
  Sleeper s;
  ASSERT_GT(s.pid(), 0);
  EXPECT_EQ(Kcmp(Self(), s.pid(), KCMP_FILE, f, f), 0);
  EXPECT_EQ(Kcmp(s.pid(), Self(), KCMP_FILE, o, o), 0);
}

// ---------------------------------------------------------------------------
// VM, FILES, FS, SIGHAND, IO, SYSVSEM across fork, threads and clone flags.

TEST(KcmpTest, SelfEqualForEveryType) {
  SKIP_IF_NO_KCMP();
  for (int type : {KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO,
                   KCMP_SYSVSEM}) {
    EXPECT_EQ(Kcmp(Self(), Self(), type, 0, 0), 0) << "type " << type;
  }
}

TEST(KcmpTest, ForkDiffersInVmFilesFsSighand) {
  SKIP_IF_NO_KCMP();
  EXPECT_CHILD_OK([] {
    pid_t parent = getppid(), self = getpid();
    for (int type : {KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND}) {
      long r = Kcmp(parent, self, type, 0, 0);
      if (r != 1 && r != 2) CHILD_FAIL("type %d gave %ld", type, r);
      long back = Kcmp(self, parent, type, 0, 0);
      if (r + back != 3) CHILD_FAIL("type %d: %ld then %ld", type, r, back);
    }
  });
}

// Neither task has an io_context (no ioprio_set, no CLONE_IO) nor a SysV
// semaphore undo list (no SEM_UNDO): both pointers are NULL, so equal.
TEST(KcmpTest, ForkWithoutIoContextOrUndoListEqual) {
  SKIP_IF_NO_KCMP();
  EXPECT_CHILD_OK([] {
    pid_t parent = getppid(), self = getpid();
    CHILD_CHECK(Kcmp(parent, self, KCMP_SYSVSEM, 0, 0) == 0);
    CHILD_CHECK(Kcmp(parent, self, KCMP_IO, 0, 0) == 0);
  });
}

struct ThreadInfo {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
};

void* ThreadMain(void* p) {
  auto* info = static_cast<ThreadInfo*>(p);
  info->tid = static_cast<pid_t>(syscall(SYS_gettid));
  while (!info->done) usleep(1000);
  return nullptr;
}

TEST(KcmpTest, ThreadSharesEverything) {
  SKIP_IF_NO_KCMP();
  ThreadInfo info;
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, nullptr, ThreadMain, &info), 0);
  while (info.tid == 0) usleep(1000);
  pid_t tid = info.tid;
  for (int type : {KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO,
                   KCMP_SYSVSEM}) {
    EXPECT_EQ(Kcmp(Self(), tid, type, 0, 0), 0) << "type " << type;
    EXPECT_EQ(Kcmp(tid, Self(), type, 0, 0), 0) << "type " << type;
  }
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  EXPECT_EQ(Kcmp(tid, Self(), KCMP_FILE, fd.get(), fd.get()), 0);
  info.done = true;
  pthread_join(th, nullptr);
}

// clone() children check kcmp(parent, self, type) against the expectation
// and return 0, or 1+i for the first failed check i.
struct CloneCheck {
  int type;
  bool equal;
};

struct CloneArgs {
  const CloneCheck* checks;
  int n;
};

int CloneChild(void* p) {
  const auto* a = static_cast<const CloneArgs*>(p);
  pid_t self = static_cast<pid_t>(syscall(SYS_getpid));
  pid_t parent = static_cast<pid_t>(syscall(SYS_getppid));
  for (int i = 0; i < a->n; i++) {
    long r = Kcmp(parent, self, a->checks[i].type, 0, 0);
    bool ok = a->checks[i].equal ? r == 0 : (r == 1 || r == 2);
    if (!ok) return 1 + i;
  }
  return 0;
}

// Runs CloneChild under clone(flags) and returns its exit code (-1 on error).
int RunClone(int flags, const std::vector<CloneCheck>& checks) {
  CloneArgs args{checks.data(), static_cast<int>(checks.size())};
  size_t size = 1 << 20;
  void* stack = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  fflush(nullptr);
  pid_t pid = clone(CloneChild, static_cast<char*>(stack) + size,
                    flags | SIGCHLD, &args);
  int status = 0, ret = -1;
  if (pid > 0 && waitpid(pid, &status, __WALL) == pid && WIFEXITED(status))
    ret = WEXITSTATUS(status);
  munmap(stack, size);
  return ret;
}

TEST(KcmpTest, CloneVmSharesOnlyVm) {
  SKIP_IF_NO_KCMP();
  EXPECT_EQ(RunClone(CLONE_VM, {{KCMP_VM, true},
                                {KCMP_FILES, false},
                                {KCMP_FS, false},
                                {KCMP_SIGHAND, false}}),
            0);
}

TEST(KcmpTest, CloneFilesSharesFdTable) {
  SKIP_IF_NO_KCMP();
  EXPECT_EQ(RunClone(CLONE_FILES, {{KCMP_FILES, true},
                                   {KCMP_VM, false},
                                   {KCMP_FS, false},
                                   {KCMP_SIGHAND, false}}),
            0);
}

TEST(KcmpTest, CloneFsSharesFsContext) {
  SKIP_IF_NO_KCMP();
  EXPECT_EQ(RunClone(CLONE_FS, {{KCMP_FS, true},
                                {KCMP_VM, false},
                                {KCMP_FILES, false},
                                {KCMP_SIGHAND, false}}),
            0);
}

TEST(KcmpTest, CloneSighandSharesHandlers) {
  SKIP_IF_NO_KCMP();
  // CLONE_SIGHAND requires CLONE_VM.
  EXPECT_EQ(RunClone(CLONE_VM | CLONE_SIGHAND, {{KCMP_SIGHAND, true},
                                                {KCMP_VM, true},
                                                {KCMP_FILES, false},
                                                {KCMP_FS, false}}),
            0);
}

TEST(KcmpTest, UnshareFilesAndFsSeparate) {
  SKIP_IF_NO_KCMP();
  EXPECT_EQ(RunClone(CLONE_FILES | CLONE_FS, {{KCMP_FILES, true},
                                              {KCMP_FS, true}}),
            0);
  EXPECT_CHILD_OK([] {
    // A thread that unshares its fd table and fs context stops sharing.
    static std::atomic<int> stage{0};
    static std::atomic<pid_t> tid{0};
    pthread_t th;
    CHILD_CHECK(pthread_create(
                    &th, nullptr,
                    [](void*) -> void* {
                      tid = static_cast<pid_t>(syscall(SYS_gettid));
                      if (unshare(CLONE_FILES | CLONE_FS) != 0) stage = -1;
                      else stage = 1;
                      while (stage != 2) usleep(1000);
                      return nullptr;
                    },
                    nullptr) == 0);
    while (stage == 0) usleep(1000);
    CHILD_CHECK(stage == 1);
    long files = Kcmp(getpid(), tid, KCMP_FILES, 0, 0);
    long fs = Kcmp(getpid(), tid, KCMP_FS, 0, 0);
    long vm = Kcmp(getpid(), tid, KCMP_VM, 0, 0);
    stage = 2;
    pthread_join(th, nullptr);
    CHILD_CHECK(files == 1 || files == 2);
    CHILD_CHECK(fs == 1 || fs == 2);
    CHILD_CHECK(vm == 0);
  });
}

// ---------------------------------------------------------------------------
// The order: antisymmetric, transitive, stable.

// Checks that cmp (0 equal, 1 less, 2 greater) is a strict total order on n
// distinct objects (CheckTotalOrder), that asking again gives the same
// answers, and that sorting with it agrees with every pair.
void ExpectTotalOrder(int n, const std::function<long(int, int)>& cmp) {
  std::vector<int> ranks;
  CheckTotalOrder(n, n, cmp, [](int i, int j) { return i == j; }, &ranks);
  // Stable: asking again gives the answers ranks (the order the first
  // answers formed) implies.
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      long want = i == j ? 0 : ranks[i] < ranks[j] ? 1 : 2;
      EXPECT_EQ(cmp(i, j), want) << i << "," << j;
    }
  }
  // Sorting with it works and agrees with every pair.
  std::vector<int> idx(n);
  for (int i = 0; i < n; i++) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](int a, int b) { return ranks[a] < ranks[b]; });
  for (int i = 0; i + 1 < n; i++) EXPECT_EQ(cmp(idx[i], idx[i + 1]), 1);
}

TEST(KcmpTest, FileOrderIsTotal) {
  SKIP_IF_NO_KCMP();
  std::vector<int> fds;
  for (int i = 0; i < 8; i++) {
    int fd = open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  ExpectTotalOrder(fds.size(), [&](int a, int b) {
    return Kcmp(Self(), Self(), KCMP_FILE, fds[a], fds[b]);
  });
  for (int fd : fds) close(fd);
}

TEST(KcmpTest, VmAndSighandOrderIsTotal) {
  SKIP_IF_NO_KCMP();
  Sleeper s1, s2, s3, s4;
  std::vector<pid_t> pids = {Self(), s1.pid(), s2.pid(), s3.pid(), s4.pid()};
  for (pid_t p : pids) ASSERT_GT(p, 0);
  for (int type : {KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND}) {
    SCOPED_TRACE(type);
    ExpectTotalOrder(pids.size(), [&](int a, int b) {
      return Kcmp(pids[a], pids[b], type, 0, 0);
    });
  }
}

// ---------------------------------------------------------------------------
// Exited tasks: Linux drops a zombie's mm, files and fs (NULL), but keeps
// its signal handlers until it is reaped.

TEST(KcmpTest, ZombieHasNoVmFilesOrFs) {
  SKIP_IF_NO_KCMP();
  pid_t z1 = MakeZombie();
  ASSERT_GT(z1, 0);
  pid_t z2 = MakeZombie();
  ASSERT_GT(z2, 0);
  for (int type : {KCMP_VM, KCMP_FILES, KCMP_FS}) {
    EXPECT_EQ(Kcmp(z1, z2, type, 0, 0), 0) << "type " << type;
    long r = Kcmp(Self(), z1, type, 0, 0);
    EXPECT_TRUE(r == 1 || r == 2) << "type " << type << ": " << r;
  }
  long r = Kcmp(z1, z2, KCMP_SIGHAND, 0, 0);
  EXPECT_TRUE(r == 1 || r == 2) << r;
  EXPECT_ERRNO(Kcmp(Self(), z1, KCMP_FILE, 0, 0), EBADF);
  waitpid(z1, nullptr, 0);
  waitpid(z2, nullptr, 0);
  EXPECT_ERRNO(Kcmp(Self(), z1, KCMP_VM, 0, 0), ESRCH);
}

// ---------------------------------------------------------------------------
// Errors, in Linux's order: ESRCH, EPERM, EINVAL, then per type.

TEST(KcmpTest, NonexistentPidESRCH) {
  SKIP_IF_NO_KCMP();
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  ASSERT_GT(gone, 0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  for (pid_t bad : {gone, INT_MAX, 0, -1}) {
    EXPECT_ERRNO(Kcmp(bad, Self(), KCMP_VM, 0, 0), ESRCH);
    EXPECT_ERRNO(Kcmp(Self(), bad, KCMP_VM, 0, 0), ESRCH);
  }
  // ESRCH comes before EINVAL and EBADF.
  EXPECT_ERRNO(Kcmp(Self(), INT_MAX, 99, 0, 0), ESRCH);
  EXPECT_ERRNO(Kcmp(INT_MAX, Self(), KCMP_FILE, 9999, 9999), ESRCH);
}

// A pid is looked up in the caller's PID namespace only.
TEST(KcmpTest, PidOutsideCallersNamespaceESRCH) {
  SKIP_IF_NO_KCMP();
  Sleeper sibling;
  ASSERT_GT(sibling.pid(), 1);
  pid_t s = sibling.pid();
  int st = RunInChild([s] {
    if (unshare(CLONE_NEWPID) != 0) CHILD_SKIP("no CLONE_NEWPID");
    pid_t inner = fork();
    CHILD_CHECK(inner >= 0);
    if (inner == 0) {
      CHILD_CHECK(getpid() == 1);
      CHILD_CHECK(Kcmp(1, 1, KCMP_VM, 0, 0) == 0);
      CHILD_CHECK_ERRNO(Kcmp(1, s, KCMP_VM, 0, 0), ESRCH);
      CHILD_CHECK_ERRNO(Kcmp(s, 1, KCMP_VM, 0, 0), ESRCH);
      _exit(0);
    }
    int status;
    CHILD_CHECK(waitpid(inner, &status, 0) == inner);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  });
  if (WIFEXITED(st) && WEXITSTATUS(st) == ::mqtest::kChildSkipExit)
    GTEST_SKIP() << "no CLONE_NEWPID";
  EXPECT_TRUE(::mqtest::ChildOK(st)) << ::mqtest::DescribeStatus(st);
}

TEST(KcmpTest, BadTypeEINVAL) {
  SKIP_IF_NO_KCMP();
  for (int type : {8, 9, 100, -1, INT_MIN}) {
    EXPECT_ERRNO(Kcmp(Self(), Self(), type, 0, 0), EINVAL);
  }
  // EINVAL for the type comes before any fd is looked at.
  EXPECT_ERRNO(Kcmp(Self(), Self(), 8, 9999, 9999), EINVAL);
}

TEST(KcmpTest, BadFdEBADF) {
  SKIP_IF_NO_KCMP();
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  ScopedFd gone(open("/dev/null", O_RDONLY));
  ASSERT_GE(gone.get(), 0);
  int closed = dup(gone.get());
  ASSERT_GE(closed, 0);
  ASSERT_EQ(close(closed), 0);
  EXPECT_ERRNO(Kcmp(Self(), Self(), KCMP_FILE, closed, fd.get()), EBADF);
  EXPECT_ERRNO(Kcmp(Self(), Self(), KCMP_FILE, fd.get(), closed), EBADF);
  EXPECT_ERRNO(Kcmp(Self(), Self(), KCMP_FILE, 100000, 100000), EBADF);
  EXPECT_ERRNO(Kcmp(Self(), Self(), KCMP_FILE, -1UL, fd.get()), EBADF);
  // The fd is looked up in the right process: fd 700 exists only in the
  // child.
  ASSERT_EQ(fcntl(700, F_GETFD), -1);
  int f = fd.get();
  EXPECT_CHILD_OK([f] {
    int mine = fcntl(f, F_DUPFD, 700);
    CHILD_CHECK(mine == 700);
    CHILD_CHECK_ERRNO(Kcmp(getppid(), getpid(), KCMP_FILE, mine, mine), EBADF);
    CHILD_CHECK(Kcmp(getpid(), getppid(), KCMP_FILE, mine, f) == 0);
  });
}

// A non-root child without capabilities may not inspect a root process
// (PTRACE_MODE_READ_REALCREDS), but may inspect itself.
TEST(KcmpTest, UnprivilegedChildCannotReadRootEPERM) {
  SKIP_IF_NO_KCMP();
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  ScopedFd fd(open("/dev/null", O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  int f = fd.get();
  EXPECT_CHILD_OK([f] {
    pid_t parent = getppid();
    CHILD_CHECK(::mqtest::BecomeUser(::mqtest::kNobody, ::mqtest::kNogroup));
    pid_t self = getpid();
    CHILD_CHECK(Kcmp(self, self, KCMP_VM, 0, 0) == 0);
    CHILD_CHECK(Kcmp(self, self, KCMP_FILE, f, f) == 0);
    for (int type : {KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND,
                     KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD}) {
      CHILD_CHECK_ERRNO(Kcmp(parent, self, type, f, f), EPERM);
      CHILD_CHECK_ERRNO(Kcmp(self, parent, type, f, f), EPERM);
      CHILD_CHECK_ERRNO(Kcmp(parent, parent, type, f, f), EPERM);
    }
    // EPERM comes after ESRCH and before EINVAL.
    CHILD_CHECK_ERRNO(Kcmp(parent, INT_MAX, KCMP_VM, 0, 0), ESRCH);
    CHILD_CHECK_ERRNO(Kcmp(parent, self, 99, 0, 0), EPERM);
  });
}

// ---------------------------------------------------------------------------
// KCMP_EPOLL_TFD

class KcmpEpollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Kcmp(Self(), Self(), KCMP_VM, 0, 0) < 0 && errno == ENOSYS)
      GTEST_SKIP() << "kernel without CONFIG_KCMP";
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    ASSERT_GE(ep_, 0);
    ev_ = eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(ev_, 0);
    other_ = eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(other_, 0);
    struct epoll_event e = {};
    e.events = EPOLLIN;
    ASSERT_EQ(epoll_ctl(ep_, EPOLL_CTL_ADD, ev_, &e), 0);
  }
  void TearDown() override {
    for (int fd : {ep_, ev_, other_}) {
      if (fd >= 0) close(fd);
    }
  }
  kcmp_epoll_slot Slot(int tfd, uint32_t toff = 0) const {
    return kcmp_epoll_slot{static_cast<uint32_t>(ep_),
                           static_cast<uint32_t>(tfd), toff};
  }
  int ep_ = -1, ev_ = -1, other_ = -1;
};

TEST_F(KcmpEpollTest, RegisteredTargetEqual) {
  kcmp_epoll_slot s = Slot(ev_);
  EXPECT_EQ(KcmpEpoll(Self(), Self(), ev_, &s), 0);
  // Any descriptor of the same file matches.
  ScopedFd d(dup(ev_));
  ASSERT_GE(d.get(), 0);
  EXPECT_EQ(KcmpEpoll(Self(), Self(), d.get(), &s), 0);
  // A different file is ordered against the target, as KCMP_FILE orders it.
  long r = KcmpEpoll(Self(), Self(), other_, &s);
  EXPECT_TRUE(r == 1 || r == 2) << r;
  EXPECT_EQ(r, Kcmp(Self(), Self(), KCMP_FILE, other_, ev_));
}

TEST_F(KcmpEpollTest, TargetNotRegisteredENOENT) {
  kcmp_epoll_slot s = Slot(other_);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), other_, &s), ENOENT);
  s = Slot(ev_, 1);  // only one registration under ev_
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), ENOENT);
  s = Slot(9999);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), ENOENT);
  // Deleting the registration removes it.
  ASSERT_EQ(epoll_ctl(ep_, EPOLL_CTL_DEL, ev_, nullptr), 0);
  s = Slot(ev_);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), ENOENT);
}

// The registration outlives its descriptor while the file stays open
// elsewhere: what CRIU uses EPOLL_TFD for. toff tells apart several
// registrations made under one descriptor number.
TEST_F(KcmpEpollTest, RegistrationOutlivesItsFdAndToffSelects) {
  int n = ev_;
  ScopedFd moved(dup(ev_));  // keeps the registered file open
  ASSERT_GE(moved.get(), 0);
  ASSERT_EQ(close(ev_), 0);
  ev_ = -1;
  kcmp_epoll_slot s = Slot(n);
  EXPECT_EQ(KcmpEpoll(Self(), Self(), moved.get(), &s), 0);

  // Register another file under the same number n.
  ASSERT_EQ(dup2(other_, n), n);
  ev_ = n;  // closed by TearDown
  struct epoll_event e = {};
  e.events = EPOLLIN;
  ASSERT_EQ(epoll_ctl(ep_, EPOLL_CTL_ADD, n, &e), 0);
  int hits_moved = 0, hits_other = 0;
  for (uint32_t toff : {0u, 1u}) {
    s = Slot(n, toff);
    long a = KcmpEpoll(Self(), Self(), moved.get(), &s);
    long b = KcmpEpoll(Self(), Self(), other_, &s);
    ASSERT_GE(a, 0) << strerror(errno);
    ASSERT_GE(b, 0) << strerror(errno);
    hits_moved += a == 0;
    hits_other += b == 0;
  }
  EXPECT_EQ(hits_moved, 1);
  EXPECT_EQ(hits_other, 1);
  s = Slot(n, 2);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), other_, &s), ENOENT);
}

TEST_F(KcmpEpollTest, AcrossProcesses) {
  int ev = ev_;
  kcmp_epoll_slot s = Slot(ev_);
  EXPECT_CHILD_OK([ev, s] {
    // The child's inherited fd against the parent's epoll, and back.
    CHILD_CHECK(KcmpEpoll(getpid(), getppid(), ev, &s) == 0);
    CHILD_CHECK(KcmpEpoll(getppid(), getpid(), ev, &s) == 0);
    // efd is looked up in pid2: the child's own epoll, which lacks ev.
    int mine = fcntl(epoll_create1(0), F_DUPFD, 700);
    CHILD_CHECK(mine == 700);
    kcmp_epoll_slot m = {static_cast<uint32_t>(mine), static_cast<uint32_t>(ev), 0};
    CHILD_CHECK_ERRNO(KcmpEpoll(getppid(), getpid(), ev, &m), ENOENT);
    CHILD_CHECK_ERRNO(KcmpEpoll(getpid(), getppid(), ev, &m), EBADF);
  });
}

TEST_F(KcmpEpollTest, BadEfdEBADF) {
  kcmp_epoll_slot s = Slot(ev_);
  s.efd = 9999;
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), EBADF);
  s.efd = 0xffffffffu;
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), EBADF);
}

TEST_F(KcmpEpollTest, BadIdx1EBADF) {
  kcmp_epoll_slot s = Slot(ev_);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), 9999, &s), EBADF);
  // idx1 is looked at before efd.
  s.efd = 9999;
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), 9999, &s), EBADF);
}

// An efd that is not an epoll instance gives EINVAL, as in Linux.
TEST_F(KcmpEpollTest, EfdNotEpollEINVAL) {
  kcmp_epoll_slot s = Slot(ev_);
  s.efd = static_cast<uint32_t>(other_);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), EINVAL);
}

// An O_PATH efd is found (fget_task does not skip it) but is no epoll.
TEST_F(KcmpEpollTest, OPathEfdEINVAL) {
  ScopedFd path(open("/dev/null", O_PATH));
  ASSERT_GE(path.get(), 0);
  kcmp_epoll_slot s = Slot(ev_);
  s.efd = static_cast<uint32_t>(path.get());
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, &s), EINVAL);
}

TEST_F(KcmpEpollTest, BadSlotPointerEFAULT) {
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, nullptr), EFAULT);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, (void*)1), EFAULT);
  long page = sysconf(_SC_PAGESIZE);
  char* m = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  ASSERT_EQ(munmap(m + page, page), 0);
  // The slot straddles the end of the mapping.
  kcmp_epoll_slot s = Slot(ev_);
  char* tail = m + page - 8;
  memcpy(tail, &s, 8);
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), ev_, tail), EFAULT);
  // Linux reads the slot before it looks up idx1.
  EXPECT_ERRNO(KcmpEpoll(Self(), Self(), 9999, m + page), EFAULT);
  // A fully readable copy of the same slot works.
  char* whole = m + page - sizeof(s);
  memcpy(whole, &s, sizeof(s));
  EXPECT_EQ(KcmpEpoll(Self(), Self(), ev_, whole), 0);
  munmap(m, page);
}

}  // namespace
}  // namespace mqtest
