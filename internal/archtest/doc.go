// Package archtest holds no code: its test enforces the one-way import rule
// of STYLE.md (cmd → app → api/admin → domain → db), the way depguard would.
package archtest
