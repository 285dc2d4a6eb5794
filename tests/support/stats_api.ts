/**
 * A stats API for tests: a real HTTP server on a free loopback port that decodes what
 * ledge uploads (multipart via Request.formData(), gzip via DecompressionStream, plain
 * JSON) and answers what the test tells it to.
 */

export interface Upload {
  format: "multipart" | "gzip" | "json";
  /** The `id` of every record, in body order. */
  ids: string[];
  status: number;
  url: URL;
  headers: Headers;
  /** For multipart: the file part's name and type. */
  file?: { name: string; type: string };
}

/** Decides the answer to one upload, after its body was decoded. */
export type Answer = (upload: Omit<Upload, "status">) => Response | Promise<Response>;

export interface StatsApi extends AsyncDisposable {
  url: string;
  /** Every upload received, refused ones included. */
  uploads: Upload[];
  /** Ids of the uploads answered 2xx, in arrival order. */
  accepted(): string[];
  answer: Answer;
}

/** A stats API on a free port of `hostname` (a veth's address, for an agent in a namespace). */
export function startStatsApi(
  answer: Answer = () => new Response(null, { status: 200 }),
  hostname = "127.0.0.1",
) {
  const uploads: Upload[] = [];
  const api: StatsApi = {
    url: "",
    uploads,
    answer,
    accepted: () => uploads.filter((u) => u.status < 300).flatMap((u) => u.ids),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
  const server = Deno.serve(
    { hostname, port: 0, onListen: () => {} },
    async (request) => {
      const decoded = await decode(request);
      const response = await api.answer(decoded);
      uploads.push({ ...decoded, status: response.status });
      return response;
    },
  );
  api.url = `http://${hostname}:${server.addr.port}/stats`;
  return api;
}

async function decode(request: Request): Promise<Omit<Upload, "status">> {
  const type = request.headers.get("content-type") ?? "";
  const base = { url: new URL(request.url), headers: request.headers };
  if (type.startsWith("multipart/form-data")) {
    const form = await request.formData();
    const file = form.get("data");
    if (!(file instanceof File)) throw new Error("multipart body without a file field data");
    const text = await gunzip(file.stream());
    return {
      ...base,
      format: "multipart",
      ids: idsOf(text),
      file: { name: file.name, type: file.type },
    };
  }
  if (request.headers.get("content-encoding") === "gzip") {
    return { ...base, format: "gzip", ids: idsOf(await gunzip(request.body!)) };
  }
  const sample = await request.json();
  return { ...base, format: "json", ids: [sample.id] };
}

function gunzip(stream: ReadableStream<BufferSource>): Promise<string> {
  return new Response(stream.pipeThrough(new DecompressionStream("gzip"))).text();
}

function idsOf(ndjson: string): string[] {
  if (ndjson !== "" && !ndjson.endsWith("\n")) throw new Error("NDJSON body without final newline");
  return ndjson.split("\n").filter(Boolean).map((line) => JSON.parse(line).id);
}
