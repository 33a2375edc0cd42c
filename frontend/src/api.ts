/** The site's REST API from the browser: session cookie + CSRF token, JSON in and out, errors in words. */

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export function csrfToken(): string {
  const fromCookie = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("csrftoken="));
  if (fromCookie) return decodeURIComponent(fromCookie.slice("csrftoken=".length));
  const input = document.querySelector<HTMLInputElement>("input[name=csrfmiddlewaretoken]");
  return input?.value ?? "";
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = await res.json();
    if (typeof body === "string") return body;
    if (body.detail) return String(body.detail);
    return Object.entries(body).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : String(v)}`).join("; ");
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

export async function apiSend<T>(method: string, url: string, body?: unknown): Promise<T> {
  const isForm = body instanceof FormData;
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      "X-CSRFToken": csrfToken(),
      Accept: "application/json",
      ...(body !== undefined && !isForm ? { "Content-Type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
  });
  if (!res.ok) throw new ApiError(await errorMessage(res), res.status);
  return (res.status === 204 ? null : await res.json()) as T;
}

export const apiPost = <T>(url: string, body?: unknown) => apiSend<T>("POST", url, body ?? {});
