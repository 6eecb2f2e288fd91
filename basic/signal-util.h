/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>

#include "macros.h"

/* Default handling for every signal and an empty mask, for a child about to
 * execve: corrald blocks signals for its signalfd/sd-event and may ignore
 * some (SIG_IGN survives execve). Async-signal-safe: usable between clone
 * and execve. */
static inline int reset_all_signals(void) {
        sigset_t none;

        for (int sig = 1; sig < _NSIG; sig++) {
                struct sigaction sa = { .sa_handler = SIG_DFL };

                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                (void) sigaction(sig, &sa, NULL); /* EINVAL for the RT signals glibc reserves */
        }
        sigemptyset(&none);
        return RET_NERRNO(sigprocmask(SIG_SETMASK, &none, NULL));
}
