// Small helpers shared by the POSIX message-queue syscall tests (mq_*.cc).
//
// Everything here works natively on Linux and inside a gVisor sandbox. Code
// that runs in a forked child must not use gtest assertions (a failure there
// would be lost): it uses the CHILD_CHECK* macros, which print the failing
// line and _exit(1); the parent then checks the child's wait status with
// EXPECT_CHILD_OK / ASSERT_CHILD_OK_OR_SKIP.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>

#include "gtest/gtest.h"

namespace mqtest {

// Exit code by which a forked child asks the parent to skip the test.
constexpr int kChildSkipExit = 77;

// ---------------------------------------------------------------------------
// Checks usable in a forked child (or anywhere gtest assertions can't be).

#define CHILD_FAIL(...)                                           \
  do {                                                            \
    int saved_errno_ = errno;                                     \
    fprintf(stderr, "%s:%d: child check failed: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__);                                 \
    fprintf(stderr, " (errno %d: %s)\n", saved_errno_, strerror(saved_errno_)); \
    fflush(stderr);                                               \
    _exit(1);                                                     \
  } while (0)

#define CHILD_CHECK(cond)                 \
  do {                                    \
    if (!(cond)) CHILD_FAIL("%s", #cond); \
  } while (0)

// expr must fail (return -1) with errno err.
#define CHILD_CHECK_ERRNO(expr, err)                                       \
  do {                                                                     \
    errno = 0;                                                             \
    long r_ = (long)(expr);                                                \
    if (r_ != -1 || errno != (err))                                        \
      CHILD_FAIL("%s returned %ld, want -1 with errno %d (%s)", #expr, r_, \
                 (err), strerror(err));                                    \
  } while (0)

// expr must not return -1.
#define CHILD_CHECK_OK(expr)                                        \
  do {                                                              \
    errno = 0;                                                      \
    if ((long)(expr) == -1) CHILD_FAIL("%s returned -1", #expr);    \
  } while (0)

#define CHILD_SKIP(reason)                                    \
  do {                                                        \
    fprintf(stderr, "child asks to skip: %s\n", (reason));    \
    fflush(stderr);                                           \
    _exit(::mqtest::kChildSkipExit);                          \
  } while (0)

// Forks; the child runs fn and then _exit(0)s. Returns the child's wait
// status (or -1 if fork failed).
inline int RunInChild(const std::function<void()>& fn) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

inline std::string DescribeStatus(int status) {
  if (status == -1) return "fork/waitpid failed";
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

inline bool ChildOK(int status) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define EXPECT_CHILD_OK(...)                                            \
  do {                                                                  \
    int st_ = ::mqtest::RunInChild(__VA_ARGS__);                        \
    EXPECT_TRUE(::mqtest::ChildOK(st_)) << ::mqtest::DescribeStatus(st_); \
  } while (0)

// Runs fn in a child; skips the test if the child used CHILD_SKIP.
#define ASSERT_CHILD_OK_OR_SKIP(...)                                      \
  do {                                                                    \
    int st_ = ::mqtest::RunInChild(__VA_ARGS__);                          \
    if (st_ != -1 && WIFEXITED(st_) &&                                    \
        WEXITSTATUS(st_) == ::mqtest::kChildSkipExit) {                   \
      GTEST_SKIP() << "child skipped (reason on stderr)";                 \
    }                                                                     \
    ASSERT_TRUE(::mqtest::ChildOK(st_)) << ::mqtest::DescribeStatus(st_); \
  } while (0)

// ---------------------------------------------------------------------------
// Save/restore points.

// MaybeSave marks a point where the whole sandbox may be checkpointed and
// restored. Under a runsc started with --TESTONLY-autosave-image-path (the
// runner's NAME-save modes) the init_module(2) call makes the sentry save
// the kernel right after the syscall and stop; the runner then restores the
// sandbox from that image and the test goes on from here, in a new sandbox
// process. Everywhere else (natively, plain runsc) init_module with a null
// image fails harmlessly (ENOSYS, EPERM or EFAULT) and nothing happens.
// errno is preserved so that MaybeSave can sit between a call and its check.
inline void MaybeSave() {
  int saved_errno = errno;
  (void)syscall(SYS_init_module, nullptr, 0, nullptr);
  errno = saved_errno;
}

// ---------------------------------------------------------------------------
// Queue names and scoped cleanup.

// A queue name unique to this process and test: "/mqt_<pid>_<test>_<n>".
inline std::string UniqueQueueName() {
  static std::atomic<int> counter{0};
  std::string test = "notest";
  if (const ::testing::TestInfo* info =
          ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
  }
  for (char& c : test) {
    if (c == '/') c = '_';
  }
  if (test.size() > 150) test.resize(150);
  return "/mqt_" + std::to_string(getpid()) + "_" + test + "_" +
         std::to_string(counter++);
}

// A unique queue name that is unlinked, if it exists, when it goes out of
// scope: for queues created by children or by raw syscalls.
class ScopedQueueName : public std::string {
 public:
  ScopedQueueName() : std::string(UniqueQueueName()) {}
  ScopedQueueName(const ScopedQueueName&) = delete;
  ScopedQueueName& operator=(const ScopedQueueName&) = delete;
  ~ScopedQueueName() { mq_unlink(c_str()); }
};

// Owns a queue name (unlinked on destruction) and a descriptor (closed).
class ScopedMq {
 public:
  ScopedMq() = default;
  ScopedMq(std::string name, mqd_t fd) : name_(std::move(name)), fd_(fd) {}
  ScopedMq(const ScopedMq&) = delete;
  ScopedMq& operator=(const ScopedMq&) = delete;
  ScopedMq(ScopedMq&& o) noexcept : name_(std::move(o.name_)), fd_(o.fd_) {
    o.name_.clear();
    o.fd_ = -1;
  }
  ~ScopedMq() { Reset(); }

  const std::string& name() const { return name_; }
  const char* cname() const { return name_.c_str(); }
  mqd_t fd() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

  void CloseFd() {
    if (fd_ >= 0) mq_close(fd_);
    fd_ = -1;
  }
  void Reset() {
    CloseFd();
    if (!name_.empty()) mq_unlink(name_.c_str());
    name_.clear();
  }

 private:
  std::string name_;
  mqd_t fd_ = -1;
};

// Creates a new queue (O_CREAT|O_EXCL) with a unique name. On failure the
// result has fd() == -1 and errno is set.
inline ScopedMq CreateQueue(long maxmsg = 4, long msgsize = 64,
                            int oflag = O_RDWR, mode_t mode = 0600) {
  std::string name = UniqueQueueName();
  mqd_t fd;
  if (maxmsg <= 0) {
    fd = mq_open(name.c_str(), oflag | O_CREAT | O_EXCL, mode, nullptr);
  } else {
    struct mq_attr attr = {};
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = msgsize;
    fd = mq_open(name.c_str(), oflag | O_CREAT | O_EXCL, mode, &attr);
  }
  if (fd < 0) {
    int e = errno;
    ScopedMq empty;
    errno = e;
    return empty;
  }
  return ScopedMq(name, fd);
}

// A closing fd.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

// ---------------------------------------------------------------------------
// Time.

inline struct timespec RealtimeIn(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  while (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  while (ts.tv_nsec < 0) {
    ts.tv_sec--;
    ts.tv_nsec += 1000000000L;
  }
  return ts;
}

inline long long MonotonicNowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

inline void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Polls pred every ms for up to timeout_ms; returns its last value.
inline bool WaitFor(const std::function<bool()>& pred, long timeout_ms = 5000) {
  long long deadline = MonotonicNowNs() + timeout_ms * 1000000LL;
  while (!pred()) {
    if (MonotonicNowNs() > deadline) return pred();
    SleepMs(1);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Threads and processes.

inline pid_t GetTid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// The state letter of a thread of this process from /proc ('S' = sleeping
// interruptibly), or 0 if it cannot be read.
inline char ThreadState(pid_t tid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  char buf[512] = {};
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  const char* p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return 0;
  return p[2];
}

// Waits until thread tid is asleep (state 'S'), then a little longer.
inline bool WaitThreadBlocked(pid_t tid, long timeout_ms = 5000) {
  bool ok = WaitFor([&] { return ThreadState(tid) == 'S'; }, timeout_ms);
  SleepMs(20);
  return ok && ThreadState(tid) == 'S';
}

// ---------------------------------------------------------------------------
// Credentials and capabilities.

inline bool GetCaps(struct __user_cap_data_struct data[2]) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &hdr, data) == 0;
}

inline bool HaveCapability(int cap) {
  struct __user_cap_data_struct data[2] = {};
  if (!GetCaps(data)) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

// Removes cap from this thread's effective, permitted and inheritable sets.
inline bool DropCapability(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  unsigned mask = ~(1u << (cap % 32));
  data[cap / 32].effective &= mask;
  data[cap / 32].permitted &= mask;
  data[cap / 32].inheritable &= mask;
  return syscall(SYS_capset, &hdr, data) == 0 && !HaveCapability(cap);
}

// Becomes uid/gid in all three slots with no supplementary groups; as all
// uids become non-zero the kernel clears every capability. Only for a forked
// child (call with a single thread).
inline bool BecomeUser(uid_t uid, gid_t gid) {
  if (syscall(SYS_setgroups, 0, nullptr) != 0) return false;
  if (syscall(SYS_setresgid, gid, gid, gid) != 0) return false;
  if (syscall(SYS_setresuid, uid, uid, uid) != 0) return false;
  return getuid() == uid && geteuid() == uid;
}

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// ---------------------------------------------------------------------------
// Small file helpers.

inline bool ReadFileString(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      errno = e;
      return false;
    }
    if (n == 0) break;
    out->append(buf, n);
  }
  close(fd);
  return true;
}

// Reads a number from a file such as /proc/sys/fs/mqueue/msg_max; -1 on error.
inline long ReadLongFile(const std::string& path) {
  std::string s;
  if (!ReadFileString(path, &s)) return -1;
  return strtol(s.c_str(), nullptr, 10);
}

// Writes a number; returns 0 or the errno.
inline int WriteLongFile(const std::string& path, long v) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  std::string s = std::to_string(v) + "\n";
  ssize_t n = write(fd, s.data(), s.size());
  int e = n < 0 ? errno : (n == (ssize_t)s.size() ? 0 : EIO);
  close(fd);
  return e;
}

inline std::string MqSysctl(const char* name) {
  return std::string("/proc/sys/fs/mqueue/") + name;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_
