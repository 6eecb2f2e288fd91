/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Value parsers for unit files and corrald.conf: systemd's syntax.
 *
 * Contract for all of them: return 0 (or the documented non-negative value)
 * on success and fill ret_*; on bad input return -EINVAL, leave ret_*
 * untouched, and fill reterr (may be NULL) with only "what is wrong and what
 * would be accepted", e.g.
 *   "12X" is not a size (use K, M, G, T, a percentage, or infinity)
 * The loader prefixes "FILE:LINE: Key: ". -ENOMEM is the only other error.
 * Parsers that fill lists append (the loader handles empty-assignment reset). */

#include "unit.h"

/* The first byte of s that does not start a valid UTF-8 sequence (no
 * overlong forms, surrogates or code points above U+10FFFF), or NULL. */
const char *utf8_first_invalid(const char *s);
bool utf8_is_valid(const char *s);

/* yes/no/true/false/on/off/1/0, case-insensitive. Returns 1 or 0. */
int parse_boolean(const char *v, CrlError *reterr);

/* Sizes as systemd's parse_size(): bytes, or K M G T (also B, P, E; base
 * 1024; case-sensitive; no "KB"/"KiB"), fractions ("1.5G"), components in
 * decreasing units ("1G 512M"); "N%" with up to two decimals, 0-100%, as
 * LIMIT_PERCENT basis points (allow_percent); "infinity" (allow_infinity). */
int parse_size(const char *v, bool allow_percent, bool allow_infinity, ResourceLimit *ret, CrlError *reterr);

/* A number with an optional "%": TasksMax= (number, N%, infinity). */
int parse_tasks_max(const char *v, ResourceLimit *ret, CrlError *reterr);

/* Time spans: "us ms s min h" (also sec, m, hour, d, w as systemd does),
 * combined ("1min 30s", "1min30s"), bare number = seconds, "infinity". */
int parse_time_span(const char *v, usec_t *ret, CrlError *reterr);
/* The same with an optional leading '-' (TimeOffsetSec=). */
int parse_time_span_signed(const char *v, int64_t *ret, CrlError *reterr);

/* "20%", "150%", "12.5%" -> basis points (2000, 15000, 1250); must end in '%'. */
int parse_percent(const char *v, uint64_t *ret_basis_points, CrlError *reterr);

/* "0-3,5", "0 1 2", "1-3 7": normalized to "0-3,5" (sorted, merged ranges). */
int parse_cpu_set(const char *v, char **ret_normalized, CrlError *reterr);

/* "SIGTERM", "TERM", "15", "SIGRTMIN+3" -> signal number. */
int parse_signal(const char *v, int *ret, CrlError *reterr);

/* SuccessExitStatus=: space-separated exit codes (0-255) and signal names. */
int parse_exit_status_list(const char *v, int **codes, size_t *n_codes,
                           int **signals, size_t *n_signals, CrlError *reterr);

/* One command line with systemd quoting: "…", '…', backslash escapes (\n \t
 * \\ \" \' \xNN and a trailing \ joins lines already done by the loader);
 * a lone \; is a literal ";" argument. Prefixes as systemd (see ExecCommandFlags): '-' '@' ':' at most
 * once each and one of '+' '!' '!!', in any order; '@' makes the second word
 * argv[0]. The command is an absolute path (not ending in '/'; "//" and "/./"
 * simplified in ->path, ".." kept) or a plain name. $VAR stays unexpanded.
 * An unknown escape ("\-") is kept as written, as systemd does (see
 * value_find_unknown_escape()).
 * Fills ret->path, ->argv and ->flags; leaves ->line alone. A lone ";"
 * (several commands) is refused here. */
int parse_command_line(const char *v, ExecCommand *ret, CrlError *reterr);
/* An Exec*= value: commands separated by a lone ";" (empty ones skipped),
 * appended to *cmds (*n updated) only when all are valid. */
int parse_command_lines(const char *v, ExecCommand **cmds, size_t *n, CrlError *reterr);
/* RunTransient's argv as a command: argv[0] must be what a written
 * ExecStart= accepts as a command (see parse_command_line()) and must not
 * start with a prefix character; ->path is it simplified, ->argv a copy. */
int exec_command_from_argv(char *const *argv, ExecCommand *ret, CrlError *reterr);
/* The Exec*= value the loader reads back (specifiers expanded, words split,
 * unquoted) as exactly argv, without flags: "@PATH" then every argument
 * double-quoted with C escapes and '%' doubled. argv as accepted by
 * exec_command_from_argv(). */
int exec_command_format_argv(char *const *argv, char **ret);

/* Split a string by whitespace honouring the same quoting (for lists). */
int split_quoted(const char *v, char ***ret, CrlError *reterr);
/* The same; without WORD_CUNESCAPE a backslash only makes the next
 * character literal ("\x2d" is "x2d"), as systemd reads path lists. */
typedef enum WordFlags {
        WORD_CUNESCAPE = 1 << 0,        /* \n \xNN ... are C escapes */
        WORD_RELAX     = 1 << 1,        /* an unknown C escape is kept as written */
} WordFlags;
int split_quoted_full(const char *v, WordFlags flags, char ***ret, CrlError *reterr);
/* The first backslash in v, at from or after, that starts no known C escape
 * ("\-", "\d", "b\;"; a lone "\;" is none), or NULL: command lines keep
 * those as written, and the loader warns. */
const char *value_find_unknown_escape(const char *v, const char *from);

/* Environment=: one or more KEY=VALUE words with quoting; appended to *env
 * (a later KEY replaces an earlier one). KEY must be a valid variable name. */
int parse_environment(const char *v, char ***env, CrlError *reterr);
/* The same checks, returning the assignments in order (duplicates kept). */
int parse_environment_words(const char *v, char ***ret, CrlError *reterr);
/* Move every "K=V" of add (owned, always consumed, duplicates allowed) into
 * *env: a name already there or earlier in add is replaced in place, the
 * last value winning. O(|env| + |add|). */
int environment_merge(char ***env, char **add);

/* Contents of an EnvironmentFile: KEY=VALUE lines, '#'/';' comments, blank
 * lines, optional "export ", single/double quotes, backslash continuation. */
int parse_environment_file_text(const char *text, char ***env, CrlError *reterr);

/* "$VAR" and "${VAR}" in s against env; "$$" is a literal "$". Unset = "". */
int expand_variables(const char *s, char *const *env, char **ret);

/* "A.B.C.D/N" (N 0..32; host bits allowed). */
int parse_ipv4_cidr(const char *v, struct in_addr *ret_addr, uint8_t *ret_prefixlen, CrlError *reterr);
/* "A.B.C.D". */
int parse_ipv4_address(const char *v, struct in_addr *ret, CrlError *reterr);

/* cgroup BPF values (unit-value-bpf.c). */
DevicePolicy device_policy_from_string(const char *v, CrlError *reterr);
const char *device_policy_to_string(DevicePolicy p);
/* "rwm" letters; "" is all three. */
int parse_device_access(const char *v, DeviceAccess *ret, CrlError *reterr);
/* DeviceAllow=: "PATH [rwm]", PATH a normalized /dev/ path, char-NAME or
 * block-NAME; ret->path is allocated. */
int parse_device_allow(const char *v, DeviceAllow *ret, CrlError *reterr);
/* IPAddressAllow=/IPAddressDeny=: words of ADDRESS[/LEN] (IPv4 or IPv6)
 * and any, localhost, link-local, multicast, appended to *list without
 * duplicates (host bits cleared); nothing appended when one word is bad. */
int parse_ip_prefixes(const char *v, IPPrefix **list, size_t *n, CrlError *reterr);

/* Port=: "[tcp|udp:]HOSTPORT[:SERVICEPORT]", ports 1..65535. */
int parse_port_forward(const char *v, PortForward *ret, CrlError *reterr);

typedef enum IOValueKind {
        IO_VALUE_WEIGHT,        /* 1..10000 */
        IO_VALUE_BYTES,         /* size with K M G T, per second */
        IO_VALUE_IOPS,          /* plain number */
        _IO_VALUE_KIND_MAX,
        _IO_VALUE_KIND_INVALID = -EINVAL,
} IOValueKind;
/* "PATH VALUE": absolute PATH (not resolved here), VALUE per kind. */
int parse_io_device_value(const char *v, IOValueKind kind, IODeviceValue *ret, CrlError *reterr);

/* BindPaths=/BindReadOnlyPaths=: the value split at unquoted whitespace into
 * raw entries (quotes and escapes still in), for parse_bind_path(). */
int split_bind_paths(const char *v, char ***ret, CrlError *reterr);
/* One raw entry "[-]SRC[:DEST[:OPTIONS]]", OPTIONS "rbind" (default) or
 * "norbind"; SRC and DEST absolute. Split at unquoted ':', then quotes and
 * escapes removed; "\:" is a ':' inside a path (as systemd). */
int parse_bind_path(const char *v, bool read_only, BindMount *ret, CrlError *reterr);
/* One "[-]PATH" (ReadOnlyPaths= etc.); PATH absolute. */
int parse_path_spec(const char *v, PathSpec *ret, CrlError *reterr);
/* TemporaryFileSystem= one "PATH[:OPTIONS]". */
int parse_tmpfs_spec(const char *v, TmpfsMount *ret, CrlError *reterr);

/* A user or group name (systemd's valid-name rules) or a numeric id. */
int parse_user_or_group_name(const char *v, CrlError *reterr);

/* Capability names ("CAP_NET_ADMIN cap_sys_time"), "~" prefix inverts. */
int parse_capability_set(const char *v, uint64_t *ret, CrlError *reterr);
/* Every capability corral knows (0..CAP_CHECKPOINT_RESTORE), and a name
 * ("net_admin", without "cap_") or NULL. */
uint64_t capability_all_mask(void);
const char *capability_to_name(unsigned cap);

/* LimitNOFILE= etc.: "N", "SOFT:HARD", "infinity". */
int parse_rlimit(const char *v, struct rlimit *ret, CrlError *reterr);
/* The same with sizes (K M G T, base 1024) for LimitCORE=, as systemd. */
int parse_rlimit_size(const char *v, struct rlimit *ret, CrlError *reterr);

/* StandardOutput=/StandardError=: log, journal, null, inherit, file:PATH
 * (truncate:PATH is the same), append:PATH. On success *ret is replaced and
 * its old path freed, so *ret must be initialized (zeroed). */
int parse_output_spec(const char *v, OutputSpec *ret, CrlError *reterr);

/* UMask= (octal 0..07777, as systemd), Nice= (-20..19), OOMScoreAdjust= (-1000..1000),
 * CPUWeight=/IOWeight= (1..10000): parse_int_range for the decimal ones. */
int parse_umask(const char *v, int *ret, CrlError *reterr);
int parse_int_range(const char *v, long min, long max, long *ret, CrlError *reterr);

/* Enumerations; each returns the enum value or -EINVAL (with reterr). */
ServiceType service_type_from_string(const char *v, CrlError *reterr);
RestartPolicy restart_policy_from_string(const char *v, CrlError *reterr);
OOMPolicy oom_policy_from_string(const char *v, CrlError *reterr);
PrivateUsers private_users_from_string(const char *v, CrlError *reterr);            /* yes/true = self */
ProtectControlGroups protect_control_groups_from_string(const char *v, CrlError *reterr);
ProtectSystem protect_system_from_string(const char *v, CrlError *reterr);        /* booleans too */
ProtectHome protect_home_from_string(const char *v, CrlError *reterr);            /* booleans too */
ProtectProc protect_proc_from_string(const char *v, CrlError *reterr);
ProcSubset proc_subset_from_string(const char *v, CrlError *reterr);

RuntimeDirectoryPreserve runtime_directory_preserve_from_string(const char *v, CrlError *reterr); /* booleans too */

/* RuntimeDirectory= & co.: one relative directory name, "foo" or "foo/bar",
 * normalized into *ret ("foo//bar/" -> "foo/bar"); absolute names, "." and
 * ".." components, control characters and the "SRC:DEST" symlink form
 * (which corral does not build) are refused. */
int parse_exec_directory(const char *v, char **ret, CrlError *reterr);
/* ...DirectoryMode=: octal 0..07777. */
int parse_mode(const char *v, mode_t *ret, CrlError *reterr);
/* A credential ID: 1..255 printable ASCII characters, no '/' or ':', not "."
 * or "..". */
bool credential_id_is_valid(const char *id);
/* LoadCredential=ID[:PATH]: PATH absolute (no ".." component) or a
 * credential name; without PATH, ID is the name. ret->id, ret->path set. */
int parse_load_credential(const char *v, UnitCredential *ret, CrlError *reterr);
/* SetCredential=ID:VALUE: VALUE with C escapes undone (\x00 gives a NUL
 * byte, as systemd's UNESCAPE_ACCEPT_NUL); ret->id, ret->data, ret->size. */
int parse_set_credential(const char *v, UnitCredential *ret, CrlError *reterr);

const char *service_type_to_string(ServiceType t);
const char *restart_policy_to_string(RestartPolicy p);
const char *oom_policy_to_string(OOMPolicy p);
const char *private_users_to_string(PrivateUsers p);
const char *protect_control_groups_to_string(ProtectControlGroups p);
const char *protect_system_to_string(ProtectSystem p);
const char *protect_home_to_string(ProtectHome p);
const char *protect_proc_to_string(ProtectProc p);
const char *proc_subset_to_string(ProcSubset s);
const char *runtime_directory_preserve_to_string(RuntimeDirectoryPreserve p);
