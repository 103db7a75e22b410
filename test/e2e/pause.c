// pause: the pod sandbox ("infra") container of test/e2e/cri.sh, like
// Kubernetes' pause image: holds the pod's namespaces until it is stopped.
// Build: gcc -O2 -Wall -static -o pause pause.c
#include <signal.h>
#include <unistd.h>

static void on_term(int sig) { _exit(0); }

int main(void) {
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  for (;;) pause();
}
