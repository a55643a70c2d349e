import { describe, expect, it } from 'vitest';
import { parseKeyRequest, parseRotateRequest } from '../src/keys/key-request';

describe('parseKeyRequest', () => {
  it.each([
    [{ kind: 'write' }, { kind: 'write', scopes: [] }],
    [{ kind: 'write', scopes: [] }, { kind: 'write', scopes: [] }],
    [{ kind: 'secret' }, { kind: 'secret', scopes: ['read'] }],
    [{ kind: 'secret', scopes: ['admin'] }, { kind: 'secret', scopes: ['admin'] }],
    [{ kind: 'secret', scopes: ['read', 'admin', 'read'] }, { kind: 'secret', scopes: ['admin', 'read'] }],
  ])('%j -> %j', (body, expected) => {
    expect(parseKeyRequest(body)).toEqual(expected);
  });

  it.each([
    [{}, 'kind'],
    [{ kind: 'Secret' }, 'kind'],
    [{ kind: 'write', scopes: ['read'] }, 'scopes'],
    [{ kind: 'secret', scopes: 'read' }, 'scopes'],
    [{ kind: 'secret', scopes: [] }, 'scopes'],
    [{ kind: 'secret', scopes: ['read', null] }, 'scopes'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => parseKeyRequest(body)).toThrowError(expect.objectContaining({ status: 400, code: 'invalid_field', field }));
  });
});

describe('parseRotateRequest', () => {
  it.each([
    [{}, 0],
    [{ graceSeconds: 0 }, 0],
    [{ graceSeconds: 604800 }, 604800],
  ])('%j -> grace %i', (body, grace) => {
    expect(parseRotateRequest(body)).toEqual({ graceSeconds: grace });
  });

  it.each([{ graceSeconds: -5 }, { graceSeconds: 604801 }, { graceSeconds: '1' }, { graceSeconds: Number.NaN }])('refuses %j', (body) => {
    expect(() => parseRotateRequest(body)).toThrowError(expect.objectContaining({ status: 400, field: 'graceSeconds' }));
  });
});
