/**
 * Error answers of the API: always `{ error: { code, message, field? } }`, with stable codes
 * a script may rely on. The message says what is wrong in a sentence; `field` names the
 * parameter at fault.
 */
export type ApiErrorCode =
  | "invalid_parameter"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "too_many_points"
  | "too_many_series"
  | "bad_request"
  | "request_timeout"
  | "payload_too_large"
  | "uri_too_long"
  | "unsupported_media_type"
  | "headers_too_large"
  | "internal";

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string };
}

const STATUS: Record<ApiErrorCode, number> = {
  invalid_parameter: 400,
  too_many_points: 400,
  too_many_series: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  bad_request: 400,
  request_timeout: 408,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  headers_too_large: 431,
  internal: 500,
};

/** The code of an error answer with this HTTP status, for refusals made by the framework or Node itself. */
export function codeForStatus(status: number): ApiErrorCode {
  const found = (Object.keys(STATUS) as ApiErrorCode[]).find((c) => STATUS[c] === status && c !== "invalid_parameter" && c !== "too_many_points" && c !== "too_many_series");
  if (found) return found;
  if (status === 401) return "unauthorized";
  return status >= 500 ? "internal" : "bad_request";
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    /** Overrides the code's status (a framework refusal such as 405 keeps its own). */
    status?: number,
  ) {
    super(message);
    this.statusCode = status ?? STATUS[code];
  }

  body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

/** JSON schema of the error body, for the OpenAPI document. */
export const ERROR_SCHEMA = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" } },
      required: ["code", "message"],
    },
  },
  required: ["error"],
} as const;

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
}

/** Turns fastify's schema validation failure into an error naming the parameter. */
export function fromValidation(context: string | undefined, issues: AjvIssue[]): ApiError {
  const issue = issues[0] ?? {};
  const where = context === "querystring" ? "query parameter" : context === "params" ? "path parameter" : context === "body" ? "body field" : "parameter";
  let field = (issue.instancePath ?? "").replace(/^\//, "").split("/")[0] ?? "";
  let message: string;
  if (issue.keyword === "additionalProperties" && issue.params?.additionalProperty) {
    field = issue.params.additionalProperty;
    message = `unknown ${where} ${JSON.stringify(field)}`;
  } else if (issue.keyword === "required" && issue.params?.missingProperty) {
    field = issue.params.missingProperty;
    message = `missing ${where} ${JSON.stringify(field)}`;
  } else if (issue.keyword === "enum" && issue.params?.allowedValues) {
    message = `${where} ${JSON.stringify(field)} must be one of ${issue.params.allowedValues.map(String).join(", ")}`;
  } else {
    message = `${where} ${JSON.stringify(field)} ${issue.message ?? "is invalid"}`;
  }
  return new ApiError("invalid_parameter", message, field || undefined);
}
