'use strict';
// `compile(query, schema, options?)`: a query object is written by encode.js and read by the
// addon in place; JSON text goes to the addon as it is. Either way the addon returns one
// packed string, unpacked here into node-postgres' `{ text, values }`.
const { native } = require('./loader');
const { encode, unpack } = require('./encode');
const { Schema } = require('./schema');

function result(r) {
  return typeof r === 'string' ? unpack(r) : r;
}

function compile(query, schema, options) {
  if (typeof query === 'object' && query !== null) {
    const e = encode(query);
    return result(native.compileEncoded(e.w, e.text, e.refs, Schema.handle(schema), options));
  }
  return result(native.compileText(query, Schema.handle(schema), options));
}

module.exports = { compile, result };
