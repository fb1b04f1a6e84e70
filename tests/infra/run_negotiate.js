// Test runner for infra/cloudfront/negotiate.js: reads [{path, accept}] as JSON on stdin, runs
// the CloudFront Function handler on a viewer-request event for each, and prints
// [{uri, key, status}] as JSON: key is the decoded object key ('' when the function answered
// itself, with that status), so it compares directly with the Python resolve().
'use strict';

const path = require('path');
const { handler } = require(path.join(__dirname, '..', '..', 'infra', 'cloudfront', 'negotiate.js'));

function viewerRequest(rawPath, accept) {
    // CloudFront hands the function the path and the query string separately.
    const cut = rawPath.indexOf('?');
    const headers = { host: { value: 'events.example.org' } };
    if (accept !== null && accept !== undefined) {
        headers.accept = { value: accept };
    }
    return {
        version: '1.0',
        context: { eventType: 'viewer-request' },
        viewer: { ip: '192.0.2.1' },
        request: {
            method: 'GET',
            uri: cut < 0 ? rawPath : rawPath.slice(0, cut),
            querystring: {},
            headers: headers,
            cookies: {},
        },
    };
}

function run(vector) {
    const result = handler(viewerRequest(vector.path, vector.accept));
    if (result.statusCode !== undefined) {
        return { uri: null, key: '', status: result.statusCode };
    }
    return { uri: result.uri, key: decodeURIComponent(result.uri.slice(1)), status: null };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify(JSON.parse(input).map(run)));
});
