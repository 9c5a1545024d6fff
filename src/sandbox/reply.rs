//! Graph response framing (contract §0 and §9): success content type and `OData-Version`,
//! plain `application/json` errors with `innerError`, `request-id` / `client-request-id` on
//! every response, and the 401 `WWW-Authenticate` challenge.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

use std::sync::Arc;

use super::model::{ErrorTexts, inner_error_date};

pub const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Per-request identity and where the server lives (for absolute links).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub request_id: String,
    pub client_request_id: String,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub origin: String,
    /// Error texts the tenant file replaced.
    pub errors: Arc<ErrorTexts>,
}

impl Ctx {
    pub fn new(headers: &HeaderMap, origin: &str, errors: Arc<ErrorTexts>) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        Self {
            request_id,
            client_request_id,
            origin: origin.to_owned(),
            errors,
        }
    }

    /// `https://graph…/v1.0/$metadata#…` on the sandbox's own origin.
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/v1.0/$metadata#{fragment}", self.origin)
    }

    fn ids(&self, mut r: Response) -> Response {
        let h = r.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            h.insert(HeaderName::from_static("request-id"), v);
        }
        if let Ok(v) = HeaderValue::from_str(&self.client_request_id) {
            h.insert(HeaderName::from_static("client-request-id"), v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        r
    }

    /// A success with a JSON body already serialized.
    pub fn json_bytes(&self, status: StatusCode, body: Vec<u8>) -> Response {
        self.odata(status, Body::from(body))
    }

    pub fn json<T: Serialize>(&self, status: StatusCode, body: &T) -> Response {
        match serde_json::to_vec(body) {
            Ok(b) => self.json_bytes(status, b),
            Err(_) => self.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Service_InternalServerError",
                "Encountered an internal server error.",
            ),
        }
    }

    /// Success headers around any body (a stream for the lost-reply fault).
    pub fn odata(&self, status: StatusCode, body: Body) -> Response {
        let mut r = Response::new(body);
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
        h.insert(
            HeaderName::from_static("odata-version"),
            HeaderValue::from_static("4.0"),
        );
        self.ids(r)
    }

    /// `text/plain` (the `/$count` segment).
    pub fn text(&self, body: String) -> Response {
        let mut r = Response::new(Body::from(body));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        r.headers_mut().insert(
            HeaderName::from_static("odata-version"),
            HeaderValue::from_static("4.0"),
        );
        self.ids(r)
    }

    /// 204: no body, no content type, no OData-Version (removePassword-204 fixture).
    pub fn no_content(&self) -> Response {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        self.ids(r)
    }

    pub fn error(&self, status: StatusCode, code: &str, message: &str) -> Response {
        // Graph's key order: code, message, innerError (date, request-id, client-request-id).
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: Error<'a>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Error<'a> {
            code: &'a str,
            message: &'a str,
            inner_error: Inner<'a>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Inner<'a> {
            date: String,
            request_id: &'a str,
            client_request_id: &'a str,
        }
        let body = Envelope {
            error: Error {
                code,
                message,
                inner_error: Inner {
                    date: inner_error_date(),
                    request_id: &self.request_id,
                    client_request_id: &self.client_request_id,
                },
            },
        };
        self.raw_error(status, serde_json::to_string(&body).unwrap_or_default())
    }

    fn raw_error(&self, status: StatusCode, body: String) -> Response {
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.ids(r)
    }

    pub fn bad_request(&self, code: &str, message: &str) -> Response {
        self.error(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unsupported_query(&self) -> Response {
        self.bad_request("Request_UnsupportedQuery", "Unsupported Query.")
    }

    pub fn invalid_id(&self, id: &str) -> Response {
        self.bad_request(
            "Request_BadRequest",
            &format!("Invalid object identifier '{id}'."),
        )
    }

    pub fn not_found(&self, id: &str) -> Response {
        if let Some(e) = &self.errors.not_found {
            return self.error(StatusCode::NOT_FOUND, &e.code, &e.message);
        }
        self.error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn forbidden(&self) -> Response {
        if let Some(e) = &self.errors.forbidden {
            return self.error(StatusCode::FORBIDDEN, &e.code, &e.message);
        }
        self.error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn bad_json(&self) -> Response {
        self.bad_request(
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    }

    pub fn method_not_allowed(&self) -> Response {
        self.error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    pub fn unauthorized(&self, message: &str) -> Response {
        let mut r = self.error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
        let challenge = format!(
            "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\", error=\"invalid_token\", error_description=\"{message}\"",
            self.origin
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    }

    /// The documented 429 body (contract §9) with `Retry-After`.
    pub fn throttled(&self, retry_after: u64) -> Response {
        if let Some(e) = &self.errors.throttled {
            let mut r = self.error(StatusCode::TOO_MANY_REQUESTS, &e.code, &e.message);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return r;
        }
        let body = serde_json::json!({
            "error": {
                "code": "TooManyRequests",
                "innerError": {
                    "code": "429",
                    "date": inner_error_date(),
                    "message": "Please retry after",
                    "request-id": self.request_id,
                    "status": "429",
                },
                "message": "Please retry again later."
            }
        });
        let mut r = self.raw_error(StatusCode::TOO_MANY_REQUESTS, body.to_string());
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        r
    }
}
