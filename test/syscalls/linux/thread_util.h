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

// Threads of the syscall tests: their state in /proc and blocking calls made
// in a thread of their own.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_THREAD_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_THREAD_UTIL_H_

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "time_util.h"

namespace mqtest {

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

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_THREAD_UTIL_H_
