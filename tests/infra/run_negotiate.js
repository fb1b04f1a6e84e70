// Test runner for infra/cloudfront/negotiate.js: reads {vectors: [{path, accept}], gone} as JSON
// on stdin (or a bare list of vectors), runs the CloudFront Function handler on a viewer-request
// event for each, and prints [{uri, key, status, headers, body}] as JSON: key is the decoded
// object key ('' when the function answered itself, with that status), so it compares directly
// with the Python resolve().
'use strict';

const path = require('path');
const { load, viewerRequest } = require(path.join(__dirname, 'load_negotiate.js'));

async function run(handler, vector) {
    const result = await handler(viewerRequest(vector.path, vector.accept));
    if (result.statusCode !== undefined) {
        return { uri: null, key: '', status: result.statusCode,
                 headers: result.headers || {}, body: result.body ? result.body.data : null };
    }
    return { uri: result.uri, key: decodeURIComponent(result.uri.slice(1)), status: null };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
    const request = JSON.parse(input);
    const vectors = Array.isArray(request) ? request : request.vectors;
    const handler = load(Array.isArray(request) ? {} : request.gone);
    const results = [];
    for (const vector of vectors) {
        results.push(await run(handler, vector));
    }
    process.stdout.write(JSON.stringify(results));
});
