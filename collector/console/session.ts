// The secret key lives in sessionStorage: gone when the tab closes, never sent anywhere but
// this collector's own API.
const KEY = 'satu.console.key';

export interface SessionInfo {
  workspace: { id: string; name: string };
  scopes: string[];
}

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (key: string) => sessionStorage.setItem(KEY, key);
export const clearKey = () => sessionStorage.removeItem(KEY);
