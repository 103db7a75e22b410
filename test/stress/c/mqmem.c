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

// mqmem: hostile patterns against the Sentry's memory, as an unprivileged
// user (uid/gid 65534), for test/stress/memory, which measures the
// sandbox's memory from outside between the phases.
//
// Usage: mqmem [-q QUEUES] [-m SYSV_MESSAGES] [-w WAITERS] [-n NAMESPACES]
//
// Run as root (the sandbox's init); a forked child drops to 65534 and,
// holding everything it creates until the end:
//
//   warmup      cycles every priority through a throw-away queue, so that
//               the baseline already includes the Sentry's garbage-collected
//               heap at the rate these phases produce garbage;
//   prio        opens QUEUES POSIX queues of 2 messages of 1 byte, keeps one
//               message of priority 0 in each and sends and receives one
//               message at every priority 1..32767 (the pattern that used to
//               pin ~6 MiB per queue);
//   sysv        fills SysV queues (qbytes = msgmnb = 16384) with
//               SYSV_MESSAGES zero-byte messages in all;
//   waiters     starts WAITERS threads that block, half in mq_receive on an
//               empty queue, half in msgrcv on an empty SysV queue;
//   namespaces  (in a forked child, since the waiters' threads keep the
//               process from entering a user namespace) enters a new user
//               namespace, then NAMESPACES new IPC
//               namespaces one after another, creating a queue of 1 message
//               of 1 byte in each and keeping its descriptor (which keeps
//               the namespace alive);
//   idlens      then IDLE_NAMESPACES more, each kept alive by a descriptor of
//               /proc/self/ns/ipc and holding nothing (what an unprivileged
//               user can park by the thousand; bounded by
//               user.max_ipc_namespaces).
//
// Before the first phase and after each one it prints "MEASURE <phase>
// <units>" and waits for a line on stdin: the driver measures the
// sandbox then. Every call must succeed; the last line is "MQMEM PASS"
// (exit 0) or "MQMEM FAIL ..." (exit 1). Build:
// gcc -O2 -Wall -static -pthread -o mqmem mqmem.c -lrt
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MQ_PRIO_COUNT 32768
#define NOBODY 65534

static void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("MQMEM FAIL: ");
  vprintf(fmt, ap);
  printf(" (errno %d: %s)\n", errno, strerror(errno));
  va_end(ap);
  fflush(stdout);
  exit(1);
}

// measure hands over to the driver and waits until it has measured.
static void measure(const char* phase, long units) {
  printf("MEASURE %s %ld\n", phase, units);
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof(line), stdin)) fail("no reply from the driver after %s", phase);
}

static mqd_t open_queue(const char* name, long maxmsg, long msgsize) {
  struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
  mq_unlink(name);
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
  if (q < 0) fail("mq_open %s", name);
  return q;
}

// cycle_priorities keeps one message of priority 0 in q and passes one
// message through q at every other priority.
static void cycle_priorities(mqd_t q) {
  char c = 'x', buf[1];
  unsigned prio;
  if (mq_send(q, &c, 1, 0) != 0) fail("mq_send prio 0");
  for (unsigned p = 1; p < MQ_PRIO_COUNT; p++) {
    if (mq_send(q, &c, 1, p) != 0) fail("mq_send prio %u", p);
    if (mq_receive(q, buf, 1, &prio) != 1 || prio != p) fail("mq_receive after prio %u", p);
  }
}

struct waiter_arg {
  mqd_t q;
  int msqid;
  int sysv;
};

static void* waiter(void* p) {
  struct waiter_arg* a = p;
  char buf[8];
  if (a->sysv) {
    struct {
      long mtype;
      char mtext[8];
    } m;
    msgrcv(a->msqid, &m, sizeof(m.mtext), 0, 0);
  } else {
    mq_receive(a->q, buf, sizeof(buf), NULL);
  }
  return NULL;
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  int n = write(fd, text, strlen(text));
  close(fd);
  return n == (int)strlen(text) ? 0 : -1;
}

static void hostile(long queues, long sysv_messages, long waiters, long namespaces, long idle_namespaces) {
  char name[64];
  // Every descriptor is kept: make room for them.
  struct rlimit nofile = {4096, 4096};
  if (setrlimit(RLIMIT_NOFILE, &nofile) != 0) fail("setrlimit(RLIMIT_NOFILE)");

  if (setresgid(NOBODY, NOBODY, NOBODY) != 0 || setresuid(NOBODY, NOBODY, NOBODY) != 0) fail("becoming nobody");

  mqd_t warm = open_queue("/mqmem_warmup", 2, 1);
  cycle_priorities(warm);
  mq_close(warm);
  mq_unlink("/mqmem_warmup");
  measure("baseline", 0);

  for (long i = 0; i < queues; i++) {
    snprintf(name, sizeof(name), "/mqmem_prio_%ld", i);
    cycle_priorities(open_queue(name, 2, 1));
  }
  measure("prio", queues);

  long sent = 0;
  while (sent < sysv_messages) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id < 0) fail("msgget");
    struct {
      long mtype;
      char mtext[1];
    } m = {1, {0}};
    for (; sent < sysv_messages; sent++) {
      if (msgsnd(id, &m, 0, IPC_NOWAIT) != 0) {
        if (errno == EAGAIN) break;  // full: qnum reached qbytes
        fail("msgsnd");
      }
    }
  }
  measure("sysv", sysv_messages);

  mqd_t empty = open_queue("/mqmem_waiters", 1, 8);
  int empty_sysv = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (empty_sysv < 0) fail("msgget");
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);
  static struct waiter_arg args[2];
  args[0] = (struct waiter_arg){empty, empty_sysv, 0};
  args[1] = (struct waiter_arg){empty, empty_sysv, 1};
  for (long i = 0; i < waiters; i++) {
    pthread_t t;
    if (pthread_create(&t, &attr, waiter, &args[i % 2]) != 0) fail("pthread_create %ld", i);
  }
  // Let them block (what is measured is that they exist, not when).
  for (int i = 0; i < 100; i++) sched_yield();
  usleep(200 * 1000);
  measure("waiters", waiters);

  // unshare(CLONE_NEWUSER) needs a single-threaded caller: a forked child
  // makes the namespaces, and keeps them until the end.
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child > 0) {
    int st;
    if (waitpid(child, &st, 0) != child) fail("waitpid");
    exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
  }
  if (unshare(CLONE_NEWUSER) != 0) fail("unshare(CLONE_NEWUSER)");
  if (prctl(PR_SET_DUMPABLE, 1) != 0 || write_file("/proc/self/setgroups", "deny") != 0 ||
      write_file("/proc/self/uid_map", "0 65534 1") != 0 || write_file("/proc/self/gid_map", "0 65534 1") != 0)
    fail("mapping the new user namespace");
  for (long i = 0; i < namespaces; i++) {
    if (unshare(CLONE_NEWIPC) != 0) fail("unshare(CLONE_NEWIPC) %ld", i);
    open_queue("/mqmem_ns", 1, 1);
  }
  measure("namespaces", namespaces);

  // The descriptors fit in the RLIMIT_NOFILE set above with the default
  // counts; each keeps its namespace alive after the next unshare.
  for (long i = 0; i < idle_namespaces; i++) {
    if (open("/proc/self/ns/ipc", O_RDONLY) < 0) fail("parking IPC namespace %ld", i);
    if (unshare(CLONE_NEWIPC) != 0) fail("unshare(CLONE_NEWIPC) idle %ld", i);
  }
  measure("idlens", idle_namespaces);
  printf("MQMEM PASS\n");
  fflush(stdout);
  exit(0);
}

int main(int argc, char** argv) {
  long queues = 16, sysv_messages = 65536, waiters = 1000, namespaces = 200, idle_namespaces = 2000;
  int opt;
  while ((opt = getopt(argc, argv, "q:m:w:n:i:")) != -1) {
    switch (opt) {
      case 'q': queues = atol(optarg); break;
      case 'm': sysv_messages = atol(optarg); break;
      case 'w': waiters = atol(optarg); break;
      case 'n': namespaces = atol(optarg); break;
      case 'i': idle_namespaces = atol(optarg); break;
      default:
        fprintf(stderr, "usage: mqmem [-q QUEUES] [-m SYSV_MESSAGES] [-w WAITERS] [-n NAMESPACES] [-i IDLE_NAMESPACES]\n");
        return 2;
    }
  }
  setvbuf(stdin, NULL, _IONBF, 0);
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child == 0) hostile(queues, sysv_messages, waiters, namespaces, idle_namespaces);
  int st;
  if (waitpid(child, &st, 0) != child) fail("waitpid");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
