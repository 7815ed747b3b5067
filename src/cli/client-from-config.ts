import { ApiClient } from "./api-client.js";
import { connection } from "./cli-config.js";

export function clientFromConfig(): ApiClient {
  const { url, token } = connection();
  return new ApiClient(url, token);
}
