// Loads infra/cloudfront/negotiate.js under node as CloudFront would run it, with `cloudfront`
// (its KeyValueStore) replaced by an in-memory map: gone = {folder: tombstone JSON}.
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const SOURCE = path.join(__dirname, '..', '..', 'infra', 'cloudfront', 'negotiate.js');
const IMPORT = "import cf from 'cloudfront';";

function load(gone) {
    const source = fs.readFileSync(SOURCE, 'utf8');
    if (source.indexOf(IMPORT) < 0) {
        throw new Error('negotiate.js no longer imports cloudfront');
    }
    const cf = {
        kvs: () => ({
            get: async (key) => {
                if (Object.prototype.hasOwnProperty.call(gone || {}, key)) {
                    return gone[key];
                }
                throw new Error('Key not found');  // as the KeyValueStore's get does
            },
        }),
    };
    const module = { exports: {} };
    vm.runInNewContext(source.replace(IMPORT, 'var cf = __cf;'), { module: module, __cf: cf });
    return module.exports.handler;
}

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

module.exports = { load, viewerRequest };
