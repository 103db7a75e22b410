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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "check_util.h"
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

// Waits for the forked child pid (a fatal failure if waitpid fails) and
// expects it to have exited with 0.
#define ASSERT_WAIT_CHILD_OK(pid)                                         \
  do {                                                                    \
    int st_ = 0;                                                          \
    ASSERT_EQ(waitpid((pid), &st_, 0), (pid));                            \
    EXPECT_TRUE(::mqtest::ChildOK(st_)) << ::mqtest::DescribeStatus(st_); \
  } while (0)

// Creates the two pipes of a parent/child handshake (the child reports on
// ready, the parent lets it go on through go) and forks. Returns the child's
// pid (0 in the child), or -1 if a pipe or the fork failed.
inline pid_t ForkWithHandshake(int ready[2], int go[2]) {
  if (pipe(ready) != 0 || pipe(go) != 0) return -1;
  fflush(nullptr);
  return fork();
}

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

// Attributes asking for maxmsg messages of up to msgsize bytes.
inline struct mq_attr QueueAttr(long maxmsg, long msgsize) {
  struct mq_attr a = {};
  a.mq_maxmsg = maxmsg;
  a.mq_msgsize = msgsize;
  return a;
}

// Creates a new queue (O_CREAT|O_EXCL) with a unique name. On failure the
// result has fd() == -1 and errno is set.
inline ScopedMq CreateQueue(long maxmsg = 4, long msgsize = 64,
                            int oflag = O_RDWR, mode_t mode = 0600) {
  std::string name = UniqueQueueName();
  mqd_t fd;
  if (maxmsg <= 0) {
    fd = mq_open(name.c_str(), oflag | O_CREAT | O_EXCL, mode, nullptr);
  } else {
    struct mq_attr attr = QueueAttr(maxmsg, msgsize);
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

// The number of messages in the queue, or -1 if mq_getattr fails.
inline long CurMsgs(mqd_t fd) {
  struct mq_attr a = {};
  if (mq_getattr(fd, &a) != 0) return -1;
  return a.mq_curmsgs;
}

// Receives from fd into buf (len bytes), asserting that the call returns
// want.size(), and expects the message to be want with priority want_prio.
// Use in ASSERT_NO_FATAL_FAILURE.
inline void ExpectReceive(mqd_t fd, char* buf, size_t len, const std::string& want,
                          unsigned want_prio) {
  unsigned prio = ~0u;  // not a valid priority
  ASSERT_EQ(mq_receive(fd, buf, len, &prio), static_cast<ssize_t>(want.size()))
      << strerror(errno);
  EXPECT_EQ(std::string(buf, want.size()), want);
  EXPECT_EQ(prio, want_prio);
}

// fcntl(F_MQ_PEEK) of the March 2026 Linux RFC for CRIU (mqsentry only):
// copies the queued message at index offset (in receive order) to buf,
// without removing it, and returns its length.
constexpr int F_MQ_PEEK = 1024 + 17;
struct mq_peek_attr {
  int32_t offset;
  uint32_t msg_prio;
  size_t buf_len;
  char* buf;
};
static_assert(sizeof(mq_peek_attr) == 24, "RFC layout");

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

// Whether a is at or after b.
inline bool TimespecAtOrAfter(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
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

// Waits until a new thread has stored its GetTid() in tid (non-zero) and is
// then asleep (see WaitThreadBlocked).
inline bool WaitTidBlocked(const std::atomic<pid_t>& tid) {
  return WaitFor([&] { return tid.load() != 0; }) && WaitThreadBlocked(tid.load());
}

// A blocking call made in a thread of its own. The thread stores its GetTid()
// in tid, makes the call, records its result in ret, errno in err and the
// CLOCK_REALTIME time it returned in returned_at, then sets done. Join()
// before the object goes; read returned_at only after Join().
class ThreadCall {
 public:
  explicit ThreadCall(std::function<long()> call)
      : thread_([this, call] {
          tid = GetTid();
          ret = call();
          err = errno;
          clock_gettime(CLOCK_REALTIME, &returned_at);
          done = true;
        }) {}
  ThreadCall(const ThreadCall&) = delete;
  ThreadCall& operator=(const ThreadCall&) = delete;

  void Join() { thread_.join(); }
  pthread_t native_handle() { return thread_.native_handle(); }

  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::atomic<long> ret{0};
  std::atomic<int> err{0};
  struct timespec returned_at = {};

 private:
  std::thread thread_;  // last: started once the fields above are set up
};

// Calls for ThreadCall, each with a deadline timeout_ms after it starts.
// mq_timedreceive of up to len bytes into buf; returns its result.
inline std::function<long()> TimedReceiveCall(mqd_t fd, char* buf, size_t len,
                                              long timeout_ms,
                                              unsigned* prio = nullptr) {
  return [=] {
    struct timespec deadline = RealtimeIn(timeout_ms);
    return static_cast<long>(mq_timedreceive(fd, buf, len, prio, &deadline));
  };
}

// mq_timedsend of the string msg with priority prio; returns 0 or the errno.
inline std::function<long()> TimedSendCall(mqd_t fd, const char* msg, unsigned prio,
                                           long timeout_ms) {
  return [=] {
    struct timespec deadline = RealtimeIn(timeout_ms);
    return mq_timedsend(fd, msg, strlen(msg), prio, &deadline) == 0 ? 0L : errno;
  };
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

// Skips the test, saying why, unless this thread has capability cap.
#define SKIP_WITHOUT_CAPABILITY(cap, why)                      \
  do {                                                         \
    if (!::mqtest::HaveCapability(cap)) GTEST_SKIP() << (why); \
  } while (0)

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

// In a forked child: sets RLIMIT_MSGQUEUE (soft and hard) to bytes.
inline void ChildSetMsgqueueRlimit(rlim_t bytes) {
  struct rlimit rl = {bytes, bytes};
  CHILD_CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
}

// A uid of this test's own, so that no other queue is charged to it.
inline uid_t OwnRlimitUid() { return 40000 + getpid() % 20000; }


constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// In a forked child: becomes uid (see OwnRlimitUid) with RLIMIT_MSGQUEUE at
// 10000 bytes and creates queue name with *attr = 1 message of 6000 bytes, a
// charge that leaves no room for a second such queue. Returns its descriptor.
inline mqd_t ChildCreateRlimitFillingQueue(uid_t uid, const std::string& name,
                                           struct mq_attr* attr) {
  ChildSetMsgqueueRlimit(10000);
  CHILD_CHECK(BecomeUser(uid, uid));
  *attr = QueueAttr(1, 6000);
  mqd_t fd = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, attr);
  CHILD_CHECK(fd >= 0);
  return fd;
}

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

// WriteProcFile writes text to a /proc file in one write.
inline bool WriteProcFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return false;
  bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
  close(fd);
  return ok;
}

// In a child that, as nobody, has just unshared CLONE_NEWUSER: maps nobody
// (65534 outside) to uid and gid inside_id of the new user namespace.
inline void ChildMapNobodyTo(const char* inside_id) {
  // Dropping root made the process non-dumpable, which keeps /proc/self's
  // files root's.
  CHILD_CHECK_OK(prctl(PR_SET_DUMPABLE, 1));
  CHILD_CHECK(WriteProcFile("/proc/self/setgroups", "deny"));
  std::string map = std::string(inside_id) + " 65534 1";
  CHILD_CHECK(WriteProcFile("/proc/self/uid_map", map.c_str()));
  CHILD_CHECK(WriteProcFile("/proc/self/gid_map", map.c_str()));
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_
