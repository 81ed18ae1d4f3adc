'use strict';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Express 4 does not catch rejected promises from handlers.
const asyncHandler = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);

function requireUuid(value, name) {
  if (!UUID_RE.test(String(value || ''))) throw new HttpError(400, `${name} must be a UUID`);
  return value;
}

function optionalUuid(value, name) {
  return value === undefined || value === '' ? null : requireUuid(value, name);
}

function pagination(query, defaultLimit, maxLimit = 100) {
  const page = Math.max(1, parseInt(query.page, 10) || 1);
  const limit = Math.min(maxLimit, Math.max(1, parseInt(query.limit, 10) || defaultLimit));
  return { page, limit, offset: (page - 1) * limit };
}

function paged(rows, total, { page, limit }) {
  return { data: rows, pagination: { page, limit, total, pages: Math.ceil(total / limit) } };
}

module.exports = { HttpError, asyncHandler, requireUuid, optionalUuid, pagination, paged };
