// A tiny single-page app with history routing, using the SDK as an npm module.
// Page views are automatic: the SDK sees pushState/popstate navigations by itself.
import { createSatu } from '@satu/sdk';

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)!.content;
const satu = createSatu({ writeKey: meta('satu-write-key'), host: meta('satu-host') });
// Handy in the browser console (and for the end-to-end test); not needed by the SDK.
(window as unknown as { satu: typeof satu }).satu = satu;

const products = [
  { id: 'beans', name: 'Coffee beans', price: 12.5 },
  { id: 'grinder', name: 'Grinder', price: 89 },
];

const views: Record<string, (rest: string) => [string, string]> = {
  '': () => ['Home', '<h1>Home</h1><p>Welcome to the SPA example.</p>'],
  products: (id) => {
    const product = products.find((p) => p.id === id);
    if (product) {
      satu.track('Product Viewed', { productId: product.id, price: product.price });
      return [product.name, `<h1>${product.name}</h1><p>${product.price.toFixed(2)}</p><button id="add">Add to cart</button>`];
    }
    return ['Products', '<h1>Products</h1>' + products.map((p) => `<p><a href="/spa/products/${p.id}" data-link>${p.name}</a></p>`).join('')];
  },
  account: () => ['Account', '<h1>Account</h1><button id="login">Sign in as ana@example.com</button> <button id="logout">Sign out</button>'],
};

function render() {
  const [, section = '', rest = ''] = location.pathname.replace(/^\/spa\/?/, '/').split('/');
  const [title, html] = (views[section] ?? views[''])!(rest);
  document.title = `${title} · Satu SPA`;
  document.getElementById('view')!.innerHTML = html;
}

document.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const link = target.closest<HTMLAnchorElement>('a[data-link]');
  if (link) {
    event.preventDefault();
    history.pushState(null, '', link.href);
    render();
  } else if (target.id === 'add') {
    satu.track('Product Added', { productId: location.pathname.split('/').pop() });
  } else if (target.id === 'login') {
    satu.identify('ana@example.com', { email: 'ana@example.com' });
  } else if (target.id === 'logout') {
    satu.reset();
  }
});
addEventListener('popstate', render);
render();
