/**
 * Provisioning (`-b URL`, SocketMan's init server): the config is fetched for this device,
 * validated, and written atomically; nothing in an answer is executed, and nothing that
 * runs programs is taken from it.
 */
export { provisionNeeds } from "./needs.ts";
export {
  type DeviceIdentity,
  provision,
  type ProvisionDeps,
  type Provisioned,
  readDeviceIdentity,
} from "./provision.ts";
