// Checks an AdGuard Home list with AdGuard's own code: every line must parse with
// @adguard/agtree (AdGuard's rule parser) and every rule must be accepted by @adguard/tsurlfilter
// (AdGuard's rule engine) as a host-level rule; then each name in the checks is matched.
//
// Usage: node adguard_check.mjs <list file> <checks JSON file>
// checks: {"blocked": [names], "allowed": [names], "client": "name or null"}
// Prints one JSON object: {"errors": [...], "results": {name: "blocked" | "allowed"}}.
import { readFileSync } from 'node:fs';
import { RuleParser } from '@adguard/agtree';
import { DnsEngine, Request, RequestType, RuleStorage, StringRuleList } from '@adguard/tsurlfilter';

const [listPath, checksPath] = process.argv.slice(2);
const text = readFileSync(listPath, 'utf8');
const checks = JSON.parse(readFileSync(checksPath, 'utf8'));
const errors = [];

const engineFor = (content) => new DnsEngine(new RuleStorage([new StringRuleList(1, content, false, false, false)]));

text.split('\n').forEach((line, index) => {
    if (line === '') return;
    let node;
    try {
        node = RuleParser.parse(line, { tolerant: false });
    } catch (error) {
        errors.push(`line ${index + 1}: agtree cannot parse ${JSON.stringify(line)}: ${error.message}`);
        return;
    }
    if (node.category === 'Comment') {
        if (!line.startsWith('!')) errors.push(`line ${index + 1}: comment not in ! syntax`);
        return;
    }
    if (node.category !== 'Network') {
        errors.push(`line ${index + 1}: not a network rule (${node.category}): ${line}`);
        return;
    }
    // One rule alone: the engine must keep it as a host-level (DNS) rule, not drop it.
    const single = engineFor(line);
    if (single.networkEngine.rulesCount !== 1) {
        errors.push(`line ${index + 1}: tsurlfilter ignores ${JSON.stringify(line)} as a DNS rule`);
    }
});

const engine = engineFor(text);
const decide = (hostname) => {
    const url = `http://${hostname}/`;
    const request = new Request(url, url, RequestType.Document);
    request.isHostnameRequest = true;
    if (checks.client) request.clientName = checks.client;
    const rule = engine.networkEngine.match(request);
    if (!rule) return 'allowed';
    return rule.isAllowlist() ? 'allowed' : 'blocked';
};
const results = {};
for (const name of [...(checks.blocked || []), ...(checks.allowed || [])]) {
    results[name] = decide(name);
}
process.stdout.write(JSON.stringify({ errors, results }));
