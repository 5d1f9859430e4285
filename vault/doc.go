// Package vault owns the device data key: how it is made, how it is wrapped
// for each local user (a key derived from the password with argon2id) and for
// the county (an X25519 recovery public key), and how fields are sealed with
// it (AES-256-GCM) and indexed by keyed hashes (HMAC-SHA256).
//
// It does no I/O. Storage keeps the wrapped keys and calls Open on the
// sealed fields; the key itself is only ever in memory, after a sign-in.
package vault
