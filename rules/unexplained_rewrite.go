package rules

// UnexplainedRewrite is what the engine reports for a change no rule
// claims: nothing the diff found is ever dropped.
var UnexplainedRewrite = &Rule{
	ID: "UNEXPLAINED-REWRITE", Verdict: Warning, Severity: Minor, Since: "v0.1",
	Title: "A rewrite no rule explains",
	Text: "The router changed this field and no rule in the catalog explains the change. It may be harmless or a " +
		"misbehaviour nobody has catalogued yet; look at both frames.",
	Fix:  "Compare the two frames; if the change breaks something, report it with both captures so a rule can be added.",
	Refs: []string{},
}
