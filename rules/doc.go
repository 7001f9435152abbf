// Package rules turns the field diff of every message pair and the network
// picture of one router into findings: a verdict on every rewritten field,
// and the consequences (dropped inbound calls, broken transfers) a support
// engineer acts on. Rule IDs are stable: never renamed, never reused.
package rules
