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

// Forked children of the syscall tests: running a function in a child and
// checking how it ended.
//
// A child may use gtest assertions (RunInChild and AsyncChild end it with
// exit status 1 if any failed; gtest prints them from the child) or, where
// gtest cannot be used (after a raw clone, in a child of a child that must
// report a precise line), the CHILD_CHECK* macros, which print the failing
// line and _exit(1). The parent checks the wait status with EXPECT_CHILD_OK,
// ASSERT_CHILD_OK_OR_SKIP or ASSERT_WAIT_CHILD_OK.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_CHILD_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_CHILD_UTIL_H_

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "time_util.h"

namespace mqtest {

// Exit code by which a forked child asks the parent to skip the test.
constexpr int kChildSkipExit = 77;

// How long RunInChild and AsyncChild::Wait give a child before killing it
// (a failure): a hung child fails its case instead of the whole binary.
constexpr long kChildTimeoutMs = 60000;

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

// ---------------------------------------------------------------------------
// Running children.

// Forks; the child runs fn, then exits with 1 if a gtest assertion failed in
// it and 0 otherwise (it never returns). Returns the child's pid, or -1 if
// fork failed.
inline pid_t ForkChild(const std::function<void()>& fn) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    fflush(nullptr);
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  return pid;
}

// Waits for child pid for up to timeout_ms (forever if negative) and returns
// its wait status, or -1 if waitpid failed. A child still running at the
// deadline is killed, reported as a failure, and reaped (its status is then
// that of the SIGKILL).
inline int WaitChild(pid_t pid, long timeout_ms = kChildTimeoutMs) {
  int status = 0;
  long long deadline = MonotonicNowNs() + timeout_ms * 1000000LL;
  for (;;) {
    pid_t r = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);
    if (r == pid) return status;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (MonotonicNowNs() > deadline) {
      kill(pid, SIGKILL);
      ADD_FAILURE() << "child " << pid << " timed out after " << timeout_ms
                    << " ms and was killed";
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    SleepMs(5);
  }
}

// Runs fn in a forked child (see ForkChild) and waits for it (see
// WaitChild). Returns the child's wait status, or -1 if fork or waitpid
// failed.
inline int RunInChild(const std::function<void()>& fn,
                      long timeout_ms = kChildTimeoutMs) {
  pid_t pid = ForkChild(fn);
  if (pid < 0) return -1;
  return WaitChild(pid, timeout_ms);
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

// Runs the function given as argument in a child (see RunInChild) and
// expects it to exit with 0 (no failed check or assertion in it).
#define EXPECT_CHILD_OK(...)                                            \
  do {                                                                  \
    int st_ = ::mqtest::RunInChild(__VA_ARGS__);                        \
    EXPECT_TRUE(::mqtest::ChildOK(st_)) << ::mqtest::DescribeStatus(st_) \
        << " (the child's output above says why)";                     \
  } while (0)

// Waits for the forked child pid (a fatal failure if waitpid fails) and
// expects it to have exited with 0.
#define ASSERT_WAIT_CHILD_OK(pid)                                         \
  do {                                                                    \
    int st_ = 0;                                                          \
    ASSERT_EQ(waitpid((pid), &st_, 0), (pid));                            \
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

// Creates the two pipes of a parent/child handshake (the child reports on
// ready, the parent lets it go on through go) and forks. Returns the child's
// pid (0 in the child), or -1 if a pipe or the fork failed.
inline pid_t ForkWithHandshake(int ready[2], int go[2]) {
  if (pipe(ready) != 0 || pipe(go) != 0) return -1;
  fflush(nullptr);
  return fork();
}

// A child running fn (see ForkChild) concurrently with the test, for
// blocking calls: the test checks that it is still Running(), then Wait()s
// for it. A child still running when the object goes is killed.
class AsyncChild {
 public:
  explicit AsyncChild(const std::function<void()>& fn) : pid_(ForkChild(fn)) {}
  AsyncChild(const AsyncChild&) = delete;
  AsyncChild& operator=(const AsyncChild&) = delete;
  ~AsyncChild() {
    if (pid_ > 0 && !done_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Whether the child has not exited yet.
  bool Running() {
    if (done_) return false;
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    done_ = true;
    status_ = r == pid_ ? status : -1;
    return false;
  }

  // The child's wait status (0: it exited with 0), or -1 if it could not
  // be waited for; see WaitChild.
  int Wait(long timeout_ms = kChildTimeoutMs) {
    if (!done_) {
      status_ = pid_ > 0 ? WaitChild(pid_, timeout_ms) : -1;
      done_ = true;
    }
    return status_;
  }

 private:
  pid_t pid_;
  bool done_ = false;
  int status_ = 0;
};

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_CHILD_UTIL_H_
