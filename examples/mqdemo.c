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

// mqdemo: POSIX message queues end to end, one line of output per event.
//
// Build:  gcc -O2 -static -pthread -o bin/mqdemo examples/mqdemo.c -lrt
// Run:    bin/mqdemo                      (natively)
//         runsc --network=none --ignore-cgroups do $PWD/bin/mqdemo
//
// What it does:
//   1. creates the queue "/mqdemo" (maxmsg 8, msgsize 64);
//   2. registers for notification with mq_notify(SIGEV_SIGNAL, SIGUSR1); the
//      SA_SIGINFO handler prints si_code (SI_MESGQ), si_pid and si_value;
//   3. forks producer A, which opens the queue by name and sends "low-N" at
//      priority 1, then producer B, which sends "high-N" at priority 10, and
//      waits for each;
//   4. drains the queue: the messages come out highest priority first, FIFO
//      within a priority;
//   5. calls mq_timedreceive on the empty queue with a 200 ms timeout, which
//      fails with ETIMEDOUT;
//   6. unlinks the queue and exits 0.
// Any unexpected error prints the failing call and errno and exits 1.
//
// The output is deterministic (only pids vary): the producers run one after
// the other, and SIGUSR1 is blocked while they run, so the notification,
// generated once when producer A's first message lands in the empty queue,
// is delivered (and printed) when the parent unblocks it after both
// producers have exited.
//
// On a runsc without message queue support (upstream gVisor) the queue
// calls fail with ENOSYS; mqsentry's runsc runs it like Linux does.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_NAME "/mqdemo"
#define MAXMSG 8
#define MSGSIZE 64
#define PER_PRODUCER 3
#define NOTIFY_VALUE 42
#define TIMEOUT_MS 200

// Set by the SIGUSR1 handler (read by main once the signal is unblocked).
static volatile sig_atomic_t notifications;
static volatile sig_atomic_t notify_code;
static volatile pid_t notify_pid;

static void die(const char *what) {
  int e = errno;
  printf("error: %s: %s (errno %d)\n", what, strerror(e), e);
  exit(1);
}

// Async-signal-safe helpers for the handler.
static size_t put_str(char *buf, size_t off, const char *s) {
  while (*s) buf[off++] = *s++;
  return off;
}

static size_t put_int(char *buf, size_t off, long v) {
  char tmp[24];
  int n = 0;
  int neg = v < 0;
  unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;
  do {
    tmp[n++] = '0' + u % 10;
    u /= 10;
  } while (u);
  if (neg) buf[off++] = '-';
  while (n) buf[off++] = tmp[--n];
  return off;
}

static void on_notify(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  char buf[160];
  size_t n = put_str(buf, 0, "notify: ");
  if (sig == SIGUSR1) {
    n = put_str(buf, n, "SIGUSR1");
  } else {
    n = put_str(buf, n, "signal ");
    n = put_int(buf, n, sig);
  }
  n = put_str(buf, n, si->si_code == SI_MESGQ ? " si_code=SI_MESGQ" : " si_code=");
  if (si->si_code != SI_MESGQ) n = put_int(buf, n, si->si_code);
  n = put_str(buf, n, " si_pid=");
  n = put_int(buf, n, si->si_pid);
  n = put_str(buf, n, " si_value=");
  n = put_int(buf, n, si->si_value.sival_int);
  buf[n++] = '\n';
  ssize_t unused = write(STDOUT_FILENO, buf, n);
  (void)unused;
  notify_code = si->si_code;
  notify_pid = si->si_pid;
  notifications++;
}

// producer runs in a child: opens the queue by name and sends count messages
// "<prefix>-N" at priority prio.
static void producer(const char *who, const char *prefix, unsigned prio) {
  mqd_t q = mq_open(QUEUE_NAME, O_WRONLY);
  if (q == (mqd_t)-1) die("producer: mq_open");
  for (int i = 1; i <= PER_PRODUCER; i++) {
    char msg[MSGSIZE];
    int len = snprintf(msg, sizeof msg, "%s-%d", prefix, i);
    if (mq_send(q, msg, len, prio) != 0) die("producer: mq_send");
    printf("producer %s (pid %d): sent \"%s\" prio %u\n", who, (int)getpid(), msg, prio);
  }
  if (mq_close(q) != 0) die("producer: mq_close");
  exit(0);
}

static pid_t run_producer(const char *who, const char *prefix, unsigned prio) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) producer(who, prefix, prio);
  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("error: producer %s (pid %d) failed (wait status %#x)\n", who, (int)pid, status);
    exit(1);
  }
  printf("producer %s (pid %d) exited 0\n", who, (int)pid);
  return pid;
}

int main(void) {
  // Line-buffered even into a pipe: no buffered output is duplicated by fork,
  // and lines from the parent, the children and the handler stay in order.
  setvbuf(stdout, NULL, _IOLBF, 0);

  // A queue left over by an interrupted run would make O_EXCL fail.
  if (mq_unlink(QUEUE_NAME) == 0) printf("removed a stale %s\n", QUEUE_NAME);
  else if (errno != ENOENT) die("mq_unlink (stale queue)");

  struct mq_attr attr = {.mq_flags = 0, .mq_maxmsg = MAXMSG, .mq_msgsize = MSGSIZE};
  mqd_t q = mq_open(QUEUE_NAME, O_RDONLY | O_CREAT | O_EXCL, 0600, &attr);
  if (q == (mqd_t)-1) die("mq_open");
  printf("created %s: maxmsg=%d msgsize=%d\n", QUEUE_NAME, MAXMSG, MSGSIZE);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_notify;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0) die("sigaction");

  // Keep SIGUSR1 pending until both producers are done (see the top comment).
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &usr1, &old) != 0) die("sigprocmask");

  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = NOTIFY_VALUE;
  if (mq_notify(q, &sev) != 0) die("mq_notify");
  printf("mq_notify: SIGUSR1 when a message arrives on the empty queue (si_value=%d)\n", NOTIFY_VALUE);

  pid_t a = run_producer("A", "low", 1);
  run_producer("B", "high", 10);

  if (sigprocmask(SIG_SETMASK, &old, NULL) != 0) die("sigprocmask");
  if (notifications != 1) {
    printf("error: %d notifications, want 1\n", (int)notifications);
    return 1;
  }
  if (notify_code != SI_MESGQ || notify_pid != a) {
    printf("error: notification si_code=%d si_pid=%d, want SI_MESGQ from producer A (pid %d)\n",
           (int)notify_code, (int)notify_pid, (int)a);
    return 1;
  }
  printf("notification came once, from producer A's first message\n");

  struct mq_attr cur;
  if (mq_getattr(q, &cur) != 0) die("mq_getattr");
  printf("queue holds %ld messages, draining\n", (long)cur.mq_curmsgs);
  if (cur.mq_curmsgs != 2 * PER_PRODUCER) {
    printf("error: %ld messages queued, want %d\n", (long)cur.mq_curmsgs, 2 * PER_PRODUCER);
    return 1;
  }
  unsigned last_prio = ~0u;
  for (long i = 0; i < cur.mq_curmsgs; i++) {
    char msg[MSGSIZE + 1];
    unsigned prio;
    ssize_t n = mq_receive(q, msg, MSGSIZE, &prio);
    if (n < 0) die("mq_receive");
    msg[n] = '\0';
    printf("received \"%s\" prio %u\n", msg, prio);
    if (prio > last_prio) {
      printf("error: priority %u after %u\n", prio, last_prio);
      return 1;
    }
    last_prio = prio;
  }

  struct timespec start, deadline, end;
  if (clock_gettime(CLOCK_MONOTONIC, &start) != 0) die("clock_gettime");
  if (clock_gettime(CLOCK_REALTIME, &deadline) != 0) die("clock_gettime");
  deadline.tv_nsec += TIMEOUT_MS * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  char msg[MSGSIZE];
  if (mq_timedreceive(q, msg, MSGSIZE, NULL, &deadline) >= 0) {
    printf("error: mq_timedreceive on the empty queue returned a message\n");
    return 1;
  }
  if (errno != ETIMEDOUT) die("mq_timedreceive");
  if (clock_gettime(CLOCK_MONOTONIC, &end) != 0) die("clock_gettime");
  long waited = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
  if (waited < TIMEOUT_MS - 20) {
    printf("error: mq_timedreceive timed out after only %ld ms\n", waited);
    return 1;
  }
  printf("mq_timedreceive on the empty queue: timed out after %d ms (ETIMEDOUT)\n", TIMEOUT_MS);

  if (mq_close(q) != 0) die("mq_close");
  if (mq_unlink(QUEUE_NAME) != 0) die("mq_unlink");
  printf("unlinked %s, done\n", QUEUE_NAME);
  return 0;
}
